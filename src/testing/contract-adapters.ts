import { engineCounterDeltas } from '../app/engine-counters.js';
import { targetFor } from '../app/run-ports.js';
import { ENGINE_CATALOG, engineDefinition } from '../engines/catalog.js';
import type { EngineExit, RunningEngine } from '../engines/engine.js';
import type { LoadTarget } from '../load/load-target.js';
import { counterDeltas, type PromScrape } from '../metrics/prometheus-text.js';
import { replayFixtures, startReplayServer } from './replay-server.js';

/**
 * The one place where the contract suite learns what an adapter offers: the load target kitt
 * really sends to (the same `targetFor` a run uses), its health path and the Prometheus counters
 * kitt reads from it. When engine definitions carry more of this, only this file changes.
 */
export interface ContractSubject {
  readonly engine: RunningEngine;
  /** Completions (OpenAI) or generate (Ollama): what `kitt run` loads. */
  readonly target: LoadTarget;
  /** The same engine over its chat endpoint. */
  readonly chatTarget: LoadTarget;
  readonly healthPath: string;
  /** Counter series kitt's cross-check reads from the engine's /metrics. */
  readonly counterNames: readonly string[];
  /** Usage must equal max_tokens: the engine honours ignore_eos and is live (a recording cannot follow max_tokens). */
  readonly forcesLength: boolean;
}

/**
 * TODO(issue 9, item 1): read these from the EngineDefinition once it names its counters; until
 * then they mirror app/engine-counters.ts (llama.cpp, vLLM) and the engines' documented names.
 */
const COUNTER_NAMES: Readonly<Record<string, readonly string[]>> = {
  embedded: ['llamacpp:prompt_tokens_total', 'llamacpp:tokens_predicted_total'],
  llamacpp: ['llamacpp:prompt_tokens_total', 'llamacpp:tokens_predicted_total'],
  vllm: ['vllm:prompt_tokens_total', 'vllm:generation_tokens_total'],
  sglang: ['sglang:prompt_tokens_total', 'sglang:generation_tokens_total'],
  // TGI has no token counters; its per-request histograms' sums grow like counters
  tgi: ['tgi_request_input_length_sum', 'tgi_request_generated_tokens_sum'],
};

function healthPathOf(engine: RunningEngine): string {
  return engine.mode === 'embedded' ? '/health' : engineDefinition(engine.name).readiness.httpPath;
}

/** What the suite checks `engine` with; `recorded`: the engine is a replay of real responses. */
export function contractSubject(engine: RunningEngine, recorded: boolean): ContractSubject {
  const target = targetFor(engine);
  return {
    engine,
    target,
    chatTarget: { ...target, api: target.api === 'ollama-generate' ? 'ollama-chat' : 'openai-chat' },
    healthPath: healthPathOf(engine),
    counterNames: COUNTER_NAMES[engine.name] ?? [],
    forcesLength: !recorded && target.supports.ignoreEos,
  };
}

/**
 * Whether kitt's engine cross-check (the run's engine-counter reading) recognises the token
 * counters of this scrape: the scrape is read as both the before and the after reading.
 */
export function crossCheckFinds(scrape: PromScrape): boolean {
  return engineCounterDeltas(counterDeltas(scrape, scrape)) !== undefined;
}

/** Whether this tree's catalog has the engine (SGLang and TGI arrive with their adapters). */
export function catalogHas(name: string): boolean {
  return Object.hasOwn(ENGINE_CATALOG, name);
}

const STOPPED: EngineExit = { exitCode: 0, signal: null, oomKilled: false, reason: 'replay stopped' };

/** A replay of one engine's recorded responses, presented as the running engine kitt would have started. */
export async function startReplayedEngine(name: string): Promise<RunningEngine> {
  const definition = engineDefinition(name);
  const replay = await startReplayServer(replayFixtures(definition.name));
  let stopped: Promise<void> | undefined;
  const stop = async () => {
    stopped ??= replay.close();
    await stopped;
    return { name: definition.name, exit: STOPPED };
  };
  return {
    name: definition.name,
    mode: 'docker',
    api: definition.api,
    baseUrl: replay.baseUrl,
    servedModel: replay.manifest.model,
    handle: `replay:${definition.name}`,
    limits: {},
    exited: new Promise<EngineExit>(() => {}),
    logTail: async () => '',
    stop,
    [Symbol.asyncDispose]: async () => {
      await stop();
    },
  };
}
