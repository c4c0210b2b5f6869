import { join } from 'node:path';
import { type AgentPhase, goalOf, runAgent } from '../../agents/agent-loop.js';
import type { AgentsSpec } from '../../agents/agents-spec.js';
import { ContextSlots } from '../../agents/context-slots.js';
import type { MemoryStore } from '../../agents/memory-store.js';
import type { StepRecord } from '../../agents/step-record.js';
import { type AgentsMetrics, summarizeAgents } from '../../agents/summarize-agents.js';
import { toolSchemas } from '../../agents/tool-choice.js';
import type { ConfiguredMaxContexts, ConfiguredRate } from '../../config/config-schema.js';
import { anchorWallClock, monotonicClock, sleepMs, type WallAnchor } from '../../core/clock.js';
import { isInterruption, KittError } from '../../core/errors.js';
import { ensureWritableDir } from '../../core/kitt-home.js';
import type { Progress } from '../../core/progress.js';
import { formatBytes } from '../../core/units.js';
import type { EngineExit, EngineRequest, RunningEngine } from '../../engines/engine.js';
import { writeReport } from '../../export/report/write-report.js';
import type { HardwareInfo } from '../../hardware/fingerprint.js';
import { AllBuckets, type RateLimiter, TokenBucket } from '../../load/token-bucket.js';
import type { StatsSeries, StatsSummary } from '../../runtime/sample-stats.js';
import type { Store } from '../../store/store-types.js';
import { limitsKey, rateKey } from '../shared/calibrated-rate.js';
import type { ModelToServe } from '../shared/prepare-model.js';
import { recordRunStart } from '../shared/record-run-start.js';
import type { AgentsPlan } from './agents-plan.js';
import { keepFailedCalibration, writeAgentsResult } from './agents-result.js';
import {
  type AgentsCalibration,
  calibrateByAgents,
  type RunWindow,
  SEED_START_TOKENS_PER_S,
} from './calibrate-agents.js';
import { type ChatEndpoint, createThinkClient, type ThinkClient } from './chat-think.js';
import { type CpuVerdict, calibrationBand, judgeCpu } from './cpu-band.js';
import { chooseEmbedder, type Embedder } from './embedder.js';
import { type ResolvedContextCap, resolveContextCap } from './resolve-max-contexts.js';
import { agentsRateKey, type ResolvedRate, resolveRate } from './resolve-rate.js';

/** The parts an agents run is made of; the CLI wires the real ones, tests may swap one. */
export interface AgentsPorts {
  readonly store: Store;
  readonly memory: MemoryStore;
  prepareModel(request: EngineRequest, progress: Progress): Promise<ModelToServe>;
  startEngine(request: EngineRequest, context: { progress: Progress; signal: AbortSignal }): Promise<RunningEngine>;
  /** Where thinks go for a started engine: its base URL, served model and headers. */
  endpointFor(engine: RunningEngine): ChatEndpoint;
  /** Samples the engine's container or process; null when its mode has nothing to sample. */
  watchResources(engine: RunningEngine): { stop(): Promise<StatsSeries> } | null;
  collectHardware(): Promise<HardwareInfo>;
  /**
   * `--rate auto`: calibrates the engine with these limits as `kitt calibrate` does and answers
   * the rate (and the contexts) it found; absent where kitt cannot calibrate from here.
   */
  calibrate?(engine: EngineRequest, context: { progress: Progress; signal: AbortSignal }): Promise<AutoCalibration>;
  /** `--rate auto`: keeps the rate the agents' own traffic found (compute.rates["<key>:agents"]). */
  saveAgentsRate?(calibration: AgentsCalibration): void;
}

/** What `--rate auto` found before the agents ran. */
export interface AutoCalibration {
  readonly runId: string;
  readonly tokensPerS: number;
  /** How the calibration's requests/s became tokens/s. */
  readonly note: string;
  /** The contexts verified to fit the memory limit; undefined when not measured. */
  readonly maxContexts?: ConfiguredMaxContexts;
  readonly resultDir: string;
}

export interface AgentsRequest {
  readonly plan: AgentsPlan;
  /** compute.rates from the config. */
  readonly rates: Readonly<Record<string, ConfiguredRate>>;
  /** compute.maxContexts from the config. */
  readonly maxContexts?: Readonly<Record<string, ConfiguredMaxContexts>>;
  readonly home: string;
  readonly resultDir?: string;
  /** The effective configuration, stored with the run. */
  readonly config?: unknown;
  readonly kittVersion: string;
}

export interface AgentsContext {
  readonly progress: Progress;
  /** Aborted on SIGINT/SIGTERM: agents finish the step in flight (its think aborted) and the run is kept. */
  readonly signal: AbortSignal;
  onStep?(record: StepRecord): void;
  onPhase?(agent: number, phase: AgentPhase): void;
}

/** What a finished agents run hands back: data only; the shell renders it. */
export interface AgentsOutcome {
  readonly runId: string;
  readonly resultDir: string;
  readonly status: 'succeeded' | 'interrupted' | 'engine-failed';
  readonly spec: AgentsSpec;
  readonly engine: {
    readonly name: string;
    readonly mode: string;
    readonly model: string;
    readonly limits: EngineRequest['limits'];
  };
  readonly metrics: AgentsMetrics;
  readonly rate: ResolvedRate;
  /** The cap on thinks in flight and its source. */
  readonly contexts: ResolvedContextCap;
  /**
   * `--rate auto`: the completions calibration run first (null without one) and the windows of the
   * agents' own traffic that found the rate; null for other rates.
   */
  readonly calibration: {
    readonly runId: string | null;
    readonly resultDir: string | null;
    readonly agents: AgentsCalibration | undefined;
  } | null;
  readonly embedder: { readonly name: string; readonly source: Embedder['source'] };
  readonly memory: {
    readonly kind: MemoryStore['kind'];
    readonly location: string;
    readonly reset: number | null;
    readonly before: number;
    readonly after: number;
  };
  readonly resources: StatsSummary | null;
  /** The engine's mean CPU against the band of its calibration (calibrate's 80–90 % when none); null when not sampled. */
  readonly cpu: CpuVerdict | null;
  readonly warnings: readonly string[];
  readonly failure: KittError | undefined;
}

/** What the simulation measured, kept together so a failure afterwards cannot lose it. */
export interface Simulated {
  readonly records: StepRecord[];
  readonly origin: WallAnchor;
  readonly startMs: number;
  readonly endMs: number;
  readonly embedder: Embedder;
  readonly memory: AgentsOutcome['memory'];
  readonly stats: StatsSeries | null;
  readonly engineEnd: KittError | undefined;
  readonly warnings: string[];
  /** The rate the run went at: the resolved one, or what `--rate auto`'s windows found. */
  readonly rate: ResolvedRate;
  readonly agentsCalibration: AgentsCalibration | undefined;
}

/**
 * prepare the model → start the engine (or attach) → run N agents, paced by the token bucket →
 * stop the engine → summarise → write the result directory → record the run in the store. The
 * engine is stopped on every path; an interrupted run is written and recorded as interrupted.
 */
export async function runAgents(
  request: AgentsRequest,
  ports: AgentsPorts,
  context: AgentsContext,
): Promise<AgentsOutcome> {
  const { plan } = request;
  const runId = plan.engine.runId;
  const resultDir = ensureWritableDir(request.resultDir ?? join(request.home, 'results', runId));
  const model = await ports.prepareModel(plan.engine, context.progress);
  const engineRequest: EngineRequest = { ...plan.engine, modelPath: model.path };
  const key = rateKey(engineRequest.engine, engineRequest.limits);
  const isAuto = plan.spec.rate.kind === 'auto';
  const auto = isAuto && ports.calibrate ? await calibrateFirst(engineRequest, ports, context) : undefined;
  const rate = isAuto ? autoStart(auto, request.rates, key) : resolveRate(plan.spec.rate, request.rates, key);
  const contexts = resolveContextCap(
    plan.spec.maxContexts,
    auto ? (auto.maxContexts ? { [key]: auto.maxContexts } : {}) : (request.maxContexts ?? {}),
    key,
    plan.spec.contextLimit,
  );
  const hardware = await ports.collectHardware();
  await recordRunStart(ports.store, {
    engine: engineRequest,
    model,
    hardware,
    config: recordedConfig(request, engineRequest, model, rate),
    resultDir,
  });
  try {
    const simulated = await simulate(request, engineRequest, { rate, contexts }, ports, context);
    if (simulated.agentsCalibration) ports.saveAgentsRate?.(simulated.agentsCalibration);
    const status = simulated.engineEnd ? 'engine-failed' : context.signal.aborted ? 'interrupted' : 'succeeded';
    const metrics = summarizeAgents(simulated.records, {
      agents: plan.spec.agents,
      startMs: simulated.startMs,
      endMs: simulated.endMs,
      ...(simulated.rate.tokensPerS === undefined ? {} : { configuredTokensPerS: simulated.rate.tokensPerS }),
      ...(contexts.cap === undefined ? {} : { contextCap: contexts.cap }),
    });
    const outcome: AgentsOutcome = {
      runId,
      resultDir,
      status,
      spec: plan.spec,
      engine: {
        name: engineRequest.engine,
        mode: engineRequest.mode,
        model: model.label,
        limits: engineRequest.limits,
      },
      metrics,
      rate: simulated.rate,
      contexts: auto && contexts.source === 'calibrated' ? { ...contexts, source: 'auto' } : contexts,
      calibration: isAuto
        ? { runId: auto?.runId ?? null, resultDir: auto?.resultDir ?? null, agents: simulated.agentsCalibration }
        : null,
      embedder: { name: simulated.embedder.name, source: simulated.embedder.source },
      memory: simulated.memory,
      resources: simulated.stats?.summary ?? null,
      cpu: simulated.stats
        ? (judgeCpu(
            simulated.stats.summary,
            simulated.agentsCalibration
              ? { ...simulated.agentsCalibration.cpuBand, from: "the agents' own calibration" }
              : await calibrationBand(ports.store, engineRequest.engine, limitsKey(engineRequest.limits)),
          ) ?? null)
        : null,
      warnings: simulated.warnings,
      failure: simulated.engineEnd,
    };
    const document = await writeAgentsResult(outcome, simulated, { request, engineRequest });
    await writeReport(resultDir).catch((error: unknown) =>
      simulated.warnings.push(`report.html not written: ${error instanceof Error ? error.message : String(error)}`),
    );
    await ports.store.recordRunFinished(runId, {
      status,
      metrics: document,
      resultPath: resultDir,
      ...(simulated.engineEnd ? { error: simulated.engineEnd.message } : {}),
    });
    return outcome;
  } catch (error) {
    const interrupted = isInterruption(error) || context.signal.aborted;
    const kept = await keepFailedCalibration(error, resultDir);
    await ports.store
      .recordRunFinished(runId, {
        status: interrupted ? 'interrupted' : 'failed',
        resultPath: resultDir,
        error: error instanceof Error ? error.message : String(error),
      })
      .catch(() => undefined);
    throw kept;
  }
}

/** `--rate auto`: the completions calibration first, as kitt calibrate runs it (its contexts and a first guess of the rate). */
async function calibrateFirst(
  engine: EngineRequest,
  ports: AgentsPorts,
  context: AgentsContext,
): Promise<AutoCalibration> {
  context.progress.info(`--rate auto: calibrating ${rateKey(engine.engine, engine.limits)} first (as kitt calibrate)`);
  const found = await ports.calibrate!(engine, { progress: context.progress, signal: context.signal });
  context.progress.info(
    `--rate auto: ${found.note}; the agents' own windows start at ${Number(found.tokensPerS.toPrecision(4))} tokens/s`,
  );
  return found;
}

/**
 * Where the agents' own windows start: the completions rate just calibrated, else the one stored
 * (both upper-ish guesses: a chat think costs more CPU per token than a completion), else the
 * seed's 5 tokens/s, grown by the controller.
 */
function autoStart(
  auto: AutoCalibration | undefined,
  rates: Readonly<Record<string, ConfiguredRate>>,
  key: string,
): ResolvedRate {
  if (auto) return { tokensPerS: auto.tokensPerS, source: 'auto', key, note: auto.note };
  const stored = resolveRate({ kind: 'calibrated' }, rates, key);
  if (stored.source === 'calibrated') return { ...stored, source: 'auto' };
  return {
    tokensPerS: SEED_START_TOKENS_PER_S,
    source: 'auto',
    key,
    note: `no calibrated rate for ${key}: the windows start at ${SEED_START_TOKENS_PER_S} tokens/s`,
  };
}

function recordedConfig(
  request: AgentsRequest,
  engine: EngineRequest,
  model: ModelToServe,
  rate: ResolvedRate,
): unknown {
  const config = typeof request.config === 'object' && request.config !== null ? request.config : {};
  const { spec } = request.plan;
  return {
    ...config,
    effective: {
      engine: engine.engine,
      mode: engine.mode,
      model: model.label,
      limits: engine.limits,
      load: {
        kind: 'agents',
        agents: spec.agents,
        scenario: spec.scenario,
        stop: spec.stop,
        tokensPerS: rate.tokensPerS ?? null,
      },
      agents: spec,
    },
  };
}

/** Starts the engine, runs the agents against it and always stops it. */
async function simulate(
  request: AgentsRequest,
  engineRequest: EngineRequest,
  pacing: { readonly rate: ResolvedRate; readonly contexts: ResolvedContextCap },
  ports: AgentsPorts,
  context: AgentsContext,
): Promise<Simulated> {
  const { spec } = request.plan;
  const { progress } = context;
  let { rate } = pacing;
  const warnings: string[] = [];
  if (rate.warning) warnings.push(rate.warning);
  if (pacing.contexts.warning) warnings.push(pacing.contexts.warning);
  const engine = await ports.startEngine(engineRequest, { progress, signal: context.signal });
  const stop = new AbortController();
  const onSignal = () => stop.abort(context.signal.reason);
  context.signal.addEventListener('abort', onSignal, { once: true });
  let ended: EngineExit | undefined;
  void engine.exited.then((exit) => {
    ended = exit;
    stop.abort(new KittError('ENGINE_EXITED', `the engine ended during the run: ${exit.reason}`));
  });
  let watch: ReturnType<AgentsPorts['watchResources']> = null;
  try {
    const endpoint = ports.endpointFor(engine);
    const embedder = await chooseEmbedder(endpoint, stop.signal);
    if (embedder.fallbackReason) progress.info(`memories use ${embedder.name}: ${embedder.fallbackReason}`);
    const memory = await prepareMemory(ports.memory, spec, request.plan.resetMemory);
    const client = createThinkClient(endpoint, {
      clock: monotonicClock,
      connections: spec.agents,
      maxTokens: spec.maxTokens,
      tools: toolSchemas(spec.tools),
      seed: spec.seed,
      timeoutMs: request.plan.timeoutMs,
      onToolsRefused: (message) => {
        const warning = `the engine refused the tools field (${message.slice(0, 120)}): thinks go on without it, the tools described in the system prompt`;
        warnings.push(warning);
        progress.warn(warning);
      },
    });
    const slots = pacing.contexts.cap === undefined ? undefined : new ContextSlots(pacing.contexts.cap);
    const crew = { spec, runId: request.plan.engine.runId, memory: ports.memory, embedder, client };
    let agentsCalibration: AgentsCalibration | undefined;
    if (spec.rate.kind === 'auto') {
      const runWindow: RunWindow = async (tokensPerS, durationMs) => {
        const windowWatch = ports.watchResources(engine);
        const windowRecords: StepRecord[] = [];
        const windowStartMs = monotonicClock.nowMs();
        // CPU over the window itself, not the thinks still draining after its end
        const stats = sleepMs(durationMs).then(() => windowWatch?.stop() ?? null);
        try {
          await runAllAgents({
            ...crew,
            spec: { ...spec, stop: { kind: 'duration', durationMs } },
            rate: { ...rate, tokensPerS },
            ...(slots ? { slots } : {}),
            startMs: windowStartMs,
            signal: stop.signal,
            onStep: (record) => windowRecords.push(record),
          });
        } catch (error) {
          await windowWatch?.stop().catch(() => undefined);
          throw error;
        }
        return { records: windowRecords, stats: await stats, startMs: windowStartMs };
      };
      agentsCalibration = await calibrateByAgents(
        {
          key: agentsRateKey(rate.key),
          settings: request.plan.agentsCalibration,
          startTokensPerS: rate.tokensPerS ?? SEED_START_TOKENS_PER_S,
          startFrom: rate.note ?? '',
          runWindow,
          signal: stop.signal,
        },
        progress,
      );
      rate = {
        tokensPerS: agentsCalibration.tokensPerS,
        source: 'auto',
        key: agentsCalibration.key,
        note: `calibrated by the agents' own traffic: ${agentsCalibration.reason}`,
      };
      progress.info(
        `--rate auto: the agents run at ${Number(rate.tokensPerS!.toPrecision(4))} tokens/s (${rate.note})`,
      );
    }
    watch = ports.watchResources(engine);
    const origin = anchorWallClock(monotonicClock);
    const records: StepRecord[] = [];
    const startMs = monotonicClock.nowMs();
    try {
      await runAllAgents({
        ...crew,
        rate,
        ...(slots ? { slots } : {}),
        startMs,
        signal: stop.signal,
        onStep: (record) => {
          records.push(record);
          context.onStep?.(record);
        },
        ...(context.onPhase ? { onPhase: context.onPhase } : {}),
      });
    } finally {
      await client.close();
    }
    const endMs = monotonicClock.nowMs();
    if (!ended && records.some((record) => record.think.error?.kind === 'connection')) {
      // refused connections can beat the exit event of an engine that died: give it a moment to show
      await Promise.race([engine.exited.then((exit) => (ended = exit)), sleepMs(ENGINE_EXIT_GRACE_MS)]);
    }
    const after = await ports.memory.count(spec.scenario);
    return {
      records,
      origin,
      startMs,
      endMs,
      embedder,
      memory: { ...memory, after },
      stats: (await watch?.stop()) ?? null,
      engineEnd: ended ? await engineEndError(engine, ended) : undefined,
      warnings,
      rate,
      agentsCalibration,
    };
  } finally {
    context.signal.removeEventListener('abort', onSignal);
    await watch?.stop().catch(() => undefined);
    await engine.stop();
  }
}

const ENGINE_EXIT_GRACE_MS = 1_000;

/** How the engine ended mid-run, with its last log lines (read before it is removed). */
async function engineEndError(engine: RunningEngine, exit: EngineExit): Promise<KittError> {
  const limit = engine.limits.memoryBytes;
  const what = exit.oomKilled
    ? `the engine was OOM-killed during the run${limit ? ` under its ${formatBytes(limit)} memory limit` : ''}`
    : `the engine ended during the run: ${exit.reason}`;
  const tail = await engine.logTail(20).catch(() => '');
  return new KittError(exit.oomKilled ? 'OOM_KILLED' : 'ENGINE_EXITED', what, {
    hint: `${exit.oomKilled ? 'give it more --memory, or fewer agents or a smaller --context-limit' : 'see its last log lines'}${tail ? `:\n${tail}` : ''}`,
  });
}

async function prepareMemory(
  memory: MemoryStore,
  spec: AgentsSpec,
  reset: boolean,
): Promise<Omit<AgentsOutcome['memory'], 'after'>> {
  const removed = reset ? await memory.reset(spec.scenario) : null;
  return { kind: memory.kind, location: memory.location, reset: removed, before: await memory.count(spec.scenario) };
}

/**
 * The global bucket starts empty, so the first second is paced too and the rate it lets through
 * is the configured one from the first think (docs/agents.md); it banks at most one second of
 * rate. An agent's own budget is a second bucket its thinks wait for as well.
 */
function limiterFor(global: TokenBucket | undefined, agentTokensPerS: number | undefined): RateLimiter | undefined {
  const own =
    agentTokensPerS === undefined ? undefined : new TokenBucket({ ratePerS: agentTokensPerS, startFull: false });
  const buckets = [global, own].filter((bucket): bucket is TokenBucket => bucket !== undefined);
  if (buckets.length === 0) return undefined;
  return buckets.length === 1 ? buckets[0] : new AllBuckets(buckets);
}

/** What the agents of one run share: the engine's client, the memory, the embedder and the global bucket's rate. */
interface Crew {
  readonly spec: AgentsSpec;
  readonly runId: string;
  readonly memory: MemoryStore;
  readonly embedder: Embedder;
  readonly client: ThinkClient;
  readonly rate: ResolvedRate;
  /** Shared by every agent: at most its capacity thinks in flight. */
  readonly slots?: ContextSlots;
  readonly startMs: number;
  readonly signal: AbortSignal;
  onStep(record: StepRecord): void;
  onPhase?(agent: number, phase: AgentPhase): void;
}

async function runAllAgents(crew: Crew): Promise<void> {
  const { spec, memory, embedder, client, rate, startMs, signal, runId } = crew;
  const global =
    rate.tokensPerS === undefined ? undefined : new TokenBucket({ ratePerS: rate.tokensPerS, startFull: false });
  const deadlineMs = spec.stop.kind === 'duration' ? startMs + spec.stop.durationMs : undefined;
  const agents = Array.from({ length: spec.agents }, (_, index) => index + 1);
  await Promise.all(
    agents.map((agent) => {
      const limiter = limiterFor(global, spec.agentTokensPerS);
      return runAgent(
        { agent, goal: goalOf(spec, agent) },
        spec,
        {
          clock: monotonicClock,
          sleep: sleepMs,
          embed: (text, abort) => embedder.embed(text, abort),
          recall: (n, vector, k) => memory.recall({ scenario: spec.scenario, agent: n }, vector, embedder.name, k),
          remember: (n, entry) =>
            memory.remember({ scenario: spec.scenario, agent: n }, { ...entry, runId, embedder: embedder.name }),
          think: (messages, abort) => client.think(messages, abort),
          ...(limiter ? { limiter } : {}),
          ...(crew.slots ? { slots: crew.slots } : {}),
          ...(crew.onPhase ? { onPhase: crew.onPhase } : {}),
          onStep: crew.onStep,
        },
        { signal, deadlineMs },
      );
    }),
  );
}
