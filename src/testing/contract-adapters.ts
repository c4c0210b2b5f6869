import { targetFor } from '../app/run/run-ports.js';
import { engineCounterDeltas } from '../app/shared/engine-counters.js';
import { engineDefinition } from '../engines/catalog.js';
import type { EngineExit, RunningEngine } from '../engines/engine.js';
import { engineMetricsOf } from '../engines/engine-target.js';
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

function healthPathOf(engine: RunningEngine): string {
  return engineDefinition(engine.name).readiness.httpPath;
}

/** The counter series kitt's cross-check reads, as the engine's definition names them. */
function counterNamesOf(engine: RunningEngine): readonly string[] {
  const names = engineMetricsOf(engine);
  return [...names.promptTokens, ...names.generatedTokens];
}

/** What the suite checks `engine` with; `recorded`: the engine is a replay of real responses. */
export function contractSubject(engine: RunningEngine, recorded: boolean): ContractSubject {
  const target = targetFor(engine);
  return {
    engine,
    target,
    chatTarget: { ...target, api: target.api === 'ollama-generate' ? 'ollama-chat' : 'openai-chat' },
    healthPath: healthPathOf(engine),
    counterNames: counterNamesOf(engine),
    forcesLength: !recorded && target.supports.ignoreEos,
  };
}

/**
 * Whether kitt's engine cross-check (the run's engine-counter reading) recognises the token
 * counters of this scrape: the scrape is read as both the before and the after reading.
 */
export function crossCheckFinds(engineName: string, scrape: PromScrape): boolean {
  return engineCounterDeltas(engineName, counterDeltas(scrape, scrape)) !== undefined;
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
