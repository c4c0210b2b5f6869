import type { ContainerSample } from '../../calibrate/summarize-window.js';
import { findConfigFile, loadConfig } from '../../config/load-config.js';
import { updateConfigFile } from '../../config/update-config-file.js';
import { type Clock, monotonicClock } from '../../core/clock.js';
import { KittError } from '../../core/errors.js';
import { homePaths } from '../../core/kitt-home.js';
import { type Progress, silentProgress } from '../../core/progress.js';
import type { Secret } from '../../core/secret.js';
import { enforcesLimits } from '../../engines/catalog.js';
import type { RunningEngine, StoppedEngine } from '../../engines/engine.js';
import { engineMetricsOf, loadTargetOf } from '../../engines/engine-target.js';
import type { LoadSpec } from '../../load/load-spec.js';
import type { LoadTarget } from '../../load/load-target.js';
import { type PreparedPrompts, preparePrompts } from '../../load/prompt-source.js';
import type { PromptSpec } from '../../load/prompt-spec.js';
import { runLoad, scrapeMetrics } from '../../load/run-load.js';
import { tokenizeClient } from '../../load/tokenize-client.js';
import type { RequestRecord } from '../../metrics/request-record.js';
import type { StatsSample } from '../../runtime/container-runtime.js';
import { type StatsSource, sampleStats } from '../../runtime/sample-stats.js';
import type { AttachedTarget } from '../shared/attach-target.js';
import { CALIBRATION_REQUEST } from '../shared/calibrated-rate.js';
import { createEngineStarter, type EngineStarter } from '../shared/start-engine.js';
import { type CalibrationPorts, type CalibrationResult, limitsKey } from './calibrate-container.js';
import type { ContextsPorts, MeasuredContexts } from './calibrate-contexts.js';
import { readKvShape } from './model-kv-shape.js';

/** What calibration sends by default: short requests, so short windows still hold many of them. */
export const CALIBRATION_PROMPTS = {
  kind: 'synthetic',
  ...CALIBRATION_REQUEST,
  cacheBust: true,
  seed: 1,
} as const satisfies PromptSpec;

/** How long a window waits after its drain for the engine to finish what was cut off. */
const SETTLE_LIMIT_MS = 15_000;

/** CFS period Docker sets with --cpus (100 ms): throttled periods over elapsed periods is the throttled share. */
const CFS_PERIOD_MS = 100;
/** Docker streams a stats reading about once a second; each covers the second before it. */
const DOCKER_STATS_INTERVAL_MS = 1000;
const PROMPT_POOL = 256;

export interface CalibrationPortsOptions {
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly progress?: Progress;
  /** Starts engines in docker or native mode; default: kitt's own starter over DOCKER_HOST. */
  readonly starter?: EngineStarter;
  /** Config file the rate is written to; default: the file kitt reads, else KITT_HOME/config.yaml. */
  readonly configPath?: string;
  /** Results store (SQLite path or postgres:// URL); default: store.url from config, else KITT_HOME/kitt.db. */
  readonly storeUrl?: string;
  /** Request shape of every window. */
  readonly prompts?: PromptSpec;
  readonly clock?: Clock;
  /**
   * A server that runs already (--target): windows go to it with its headers; nothing is started,
   * sampled or waited on, and the rate goes to the store only (config rates are keyed by the limits
   * of containers kitt starts).
   */
  readonly attached?: AttachedTarget | undefined;
}

/**
 * Wires calibration to the real parts: the engine started with its limits (`createEngineStarter`:
 * a container, or a host process in native mode), one open-loop constant-rate window on the load
 * core (`runLoad`, which drains requests in flight after the window), the runtime's stats adapted
 * to `ContainerSample` with the engine's queue gauge from its /metrics, the rate written to config
 * (`compute.rates["<key>"]`) and to the results store. The stats stream and the engine end
 * together: stopping an engine these ports started ends its sampler too; `close()` stops any
 * engine still running (a forced exit's cleanup).
 */
export async function createCalibrationPorts(
  options: CalibrationPortsOptions,
): Promise<CalibrationPorts & { close(): Promise<void> }> {
  const clock = options.clock ?? monotonicClock;
  const progress = options.progress ?? silentProgress;
  const loaded = loadConfig({ env: options.env, ...(options.cwd ? { cwd: options.cwd } : {}) });
  const starter = options.starter ?? createEngineStarter({ config: loaded.config, env: options.env, pull: false });
  const samplers = new WeakMap<RunningEngine, ContinuousSampler>();
  const prompts = new WeakMap<RunningEngine, Promise<PreparedPrompts>>();
  const promptSpec = options.prompts ?? CALIBRATION_PROMPTS;
  const started = new Set<RunningEngine>();
  const { attached } = options;
  const storeUrl = options.storeUrl ?? loaded.config.store.url ?? homePaths(options.home).store;
  const targetOf = (engine: RunningEngine): LoadTarget =>
    attached ? { ...attached.loadTarget, metricsPath: null } : loadTargetFor(engine);

  return {
    clock,
    async startEngine(request, signal) {
      if (attached) {
        prompts.set(attached.engine, preparePromptsFor(promptSpec, targetOf(attached.engine), signal));
        return attached.engine;
      }
      if (!enforcesLimits(request.mode)) {
        throw new KittError('USAGE', `calibrate needs an engine with enforced limits, not --mode ${request.mode}`, {
          hint: 'use --mode docker (container limits), e.g. -e llamacpp --mode docker',
        });
      }
      const running = await starter.start(request, { progress, signal });
      const source = starter.statsSourceFor(running);
      if (!source) {
        await running.stop();
        throw new KittError('USAGE', `kitt cannot sample the CPU of a ${running.mode} engine`, {
          hint: 'use --mode docker',
        });
      }
      const sampler = startContinuousSampler(source, running, clock);
      const engine = withStopHook(running, async () => {
        started.delete(engine);
        await sampler.close();
      });
      started.add(engine);
      samplers.set(engine, sampler);
      // prompts are prepared (and measured with the engine's tokenizer) before the first window
      try {
        prompts.set(engine, Promise.resolve(await preparePromptsFor(promptSpec, loadTargetFor(engine), signal)));
      } catch (error) {
        await engine.stop();
        throw error;
      }
      return engine;
    },
    async runWindow(engine, window) {
      const target = targetOf(engine);
      let prepared = prompts.get(engine);
      if (!prepared) {
        prepared = preparePromptsFor(promptSpec, target, window.signal);
        prompts.set(engine, prepared);
      }
      const spec: LoadSpec = {
        kind: 'constant-rate',
        rate: window.ratePerS,
        durationS: window.durationMs / 1000,
        drainS: window.drainMs / 1000,
        timeoutS: Math.max(1, (window.durationMs + window.drainMs) / 1000),
        workers: 1,
        overflow: 'queue',
        // timers only: a spinning client would take CPU from the container it measures
        spinMs: 0,
      };
      const result = await runLoad(spec, target, {
        signal: window.signal,
        clock,
        prompts: await prepared,
        // a window is seconds long and its summary needs its records
        keepRecords: true,
      });
      // Requests cut off at the end of the drain may still run in the engine; the next window must
      // not pay for them.
      // a server kitt did not start may serve others too: its busy gauges are not this run's to wait on
      const settled = attached ? true : await waitUntilIdle(engine, SETTLE_LIMIT_MS, window.signal);
      if (!settled) progress.warn(`the engine was still busy ${SETTLE_LIMIT_MS / 1000} s after the window`);
      return result.records;
    },
    startSampling(engine, intervalMs) {
      if (attached) return { stop: async () => [] };
      const sampler = samplers.get(engine);
      if (!sampler) throw new Error('startSampling needs an engine started by these ports');
      return sampler.window(intervalMs);
    },
    ...(attached
      ? {}
      : {
          contexts: {
            fillContexts: (engine, fill, signal) => fillContexts(loadTargetFor(engine), fill, clock, signal),
            readKvShape,
            async saveMaxContexts(result) {
              saveMaxContextsToConfig(options.configPath ?? configFileFor(options, loaded.file), result);
            },
          } satisfies CalibrationPorts['contexts'],
        }),
    async saveCalibration(result, resultDir) {
      if (!attached) saveRateToConfig(options.configPath ?? configFileFor(options, loaded.file), result);
      await saveToStore(storeUrl, result, resultDir);
    },
    earlierEstimates: (engine, limits, model) => earlierEstimatesIn(storeUrl, engine, limits, model),
    /** Stops every engine these ports started and has not stopped yet (a forced exit's cleanup). */
    async close() {
      await Promise.all([...started].map((engine) => engine.stop().catch(() => undefined)));
      await starter.close();
    },
  };
}

/** The file `kitt calibrate` writes: the config kitt reads, else KITT_HOME/config.yaml. */
function configFileFor(options: CalibrationPortsOptions, loadedFile: string | undefined): string {
  return (
    loadedFile ??
    findConfigFile({ env: options.env, ...(options.cwd ? { cwd: options.cwd } : {}) })?.path ??
    homePaths(options.home).config
  );
}

/** Writes compute.rates["<engine>/<limits>"] = { value, unit, calibratedAt }, comments kept. */
export function saveRateToConfig(path: string, result: CalibrationResult): void {
  if (result.rate === undefined) return;
  updateConfigFile(path, ['compute', 'rates', result.rateKey], {
    value: Number(result.rate.toPrecision(4)),
    unit: result.unit,
    calibratedAt: result.calibratedAt,
  });
}

/** Writes compute.maxContexts["<engine>/<limits>"] = { value, contextTokens, calibratedAt }, comments kept. */
export function saveMaxContextsToConfig(path: string, result: MeasuredContexts): void {
  updateConfigFile(path, ['compute', 'maxContexts', result.key], {
    value: result.maxContexts,
    contextTokens: result.contextTokens,
    calibratedAt: result.calibratedAt,
  });
}

/**
 * `contexts` requests at once (a closed loop of that many users, one request each), every prompt
 * measured with the engine's tokenizer to `promptTokens`, distinct so no slot shares another's cache.
 */
async function fillContexts(
  target: LoadTarget,
  fill: Parameters<ContextsPorts['fillContexts']>[1],
  clock: Clock,
  signal: AbortSignal,
): Promise<readonly RequestRecord[]> {
  const spec: PromptSpec = {
    kind: 'synthetic',
    inputTokens: fill.promptTokens,
    outputTokens: fill.outputTokens,
    cacheBust: true,
    seed: 1,
  };
  const countTokens = target.supports.tokenize
    ? tokenizeClient(target.baseUrl, target.model, signal, undefined, target.headers)
    : undefined;
  const prompts = await preparePrompts(spec, { count: fill.contexts, ...(countTokens ? { countTokens } : {}) });
  const result = await runLoad(
    {
      kind: 'fixed-concurrency',
      concurrency: fill.contexts,
      requests: fill.contexts,
      timeoutS: 600,
      workers: 1,
      drainS: 60,
    },
    target,
    { signal, clock, prompts, keepRecords: true },
  );
  return result.records ?? [];
}

/** How many stored calibrations of a key are looked through for ones of the same model. */
const EARLIER_LOOKED_AT = 50;

/** The estimated rates of the stored calibrations of this engine, limits and model, newest first. */
export async function earlierEstimatesIn(
  url: string | Secret,
  engine: string,
  limitsKey: string,
  model: string,
): Promise<number[]> {
  const { openRunStore } = await import('../shared/open-run-store.js');
  const store = await openRunStore(url);
  try {
    const stored = await store.listCalibrations({ engine, limitsKey, limit: EARLIER_LOOKED_AT });
    return stored.flatMap(({ report }) => {
      const earlier = report as Partial<Pick<CalibrationResult, 'model' | 'estimate'>> | undefined;
      return earlier?.model === model && earlier.estimate?.status === 'estimated' ? [earlier.estimate.rate] : [];
    });
  } finally {
    await store.close();
  }
}

/** The calibration as a finished run (so `kitt results` lists it) and its calibration row. */
async function saveToStore(url: string | Secret, result: CalibrationResult, resultDir: string): Promise<void> {
  if (result.rate === undefined) return;
  // imported here so a calibration that never saves does not load the database drivers; opened as
  // every command opens it, so runs whose kitt died are marked abandoned here too
  const { openRunStore } = await import('../shared/open-run-store.js');
  const store = await openRunStore(url);
  try {
    await store.recordRunStarted({
      id: result.runId,
      engine: result.engine,
      mode: result.mode,
      model: result.model,
      limits: result.limits,
      resultPath: resultDir,
    });
    await store.recordRunFinished(result.runId, {
      status: 'succeeded',
      metrics: {
        calibration: { rate: result.rate, unit: result.unit, tokensPerS: result.tokensPerS, held: result.held },
      },
      resultPath: resultDir,
    });
    await store.recordCalibration({
      runId: result.runId,
      engine: result.engine,
      limitsKey: limitsKey(result.limits),
      rateValue: result.rate,
      unit: result.unit,
      report: result,
      createdAt: new Date(result.calibratedAt),
    });
  } finally {
    await store.close();
  }
}

/** Where load goes for a running engine: as for a run, but windows do not scrape /metrics (the sampler reads the queue gauge). */
export function loadTargetFor(engine: RunningEngine): LoadTarget {
  return { ...loadTargetOf(engine), metricsPath: null };
}

async function preparePromptsFor(spec: PromptSpec, target: LoadTarget, signal: AbortSignal): Promise<PreparedPrompts> {
  const countTokens = target.supports.tokenize
    ? tokenizeClient(target.baseUrl, target.model, signal, undefined, target.headers)
    : undefined;
  try {
    return await preparePrompts(spec, { count: PROMPT_POOL, ...(countTokens ? { countTokens } : {}) });
  } catch (error) {
    if (signal.aborted || countTokens === undefined) throw error;
    return preparePrompts(spec, { count: PROMPT_POOL });
  }
}

/** The engine with `stop` running `hook` first (idempotent, as the engine's own stop). */
function withStopHook(engine: RunningEngine, hook: () => Promise<void>): RunningEngine {
  let stopping: Promise<StoppedEngine> | undefined;
  const stop = () => {
    stopping ??= hook().then(
      () => engine.stop(),
      () => engine.stop(),
    );
    return stopping;
  };
  return {
    ...engine,
    stop,
    [Symbol.asyncDispose]: async () => {
      await stop();
    },
  };
}

interface ContinuousSampler {
  /** Collects the samples from now until `stop()`. */
  window(intervalMs: number): { stop(): Promise<ContainerSample[]> };
  close(): Promise<void>;
}

/**
 * One stats stream for the engine's whole life (a fresh stream spends its first second
 * without a reading, too much for short windows) and a poll of the engine's queue gauge. A window
 * keeps the readings that arrive while it is open, each with the latest queue depth.
 */
function startContinuousSampler(
  source: { runtime: StatsSource<unknown>; ref: unknown },
  engine: RunningEngine,
  clock: Clock,
): ContinuousSampler {
  const abort = new AbortController();
  const open = new Set<ContainerSample[]>();
  let queueDepth: number | undefined;
  let previousAtMs: number | undefined;
  const onSample = (sample: StatsSample) => {
    const elapsedMs = previousAtMs === undefined ? DOCKER_STATS_INTERVAL_MS : sample.atMs - previousAtMs;
    previousAtMs = sample.atMs;
    const adapted = toContainerSample(sample, elapsedMs, queueDepth, clock);
    for (const target of open) target.push(adapted);
  };
  const streaming = sampleStats(source.runtime, source.ref, {
    intervalMs: 0,
    signal: abort.signal,
    onSample,
  }).catch(() => undefined);
  const { queueGauge: gauge, path: metricsPath } = engineMetricsOf(engine);
  let polling: Promise<void> = Promise.resolve();
  if (gauge && metricsPath) {
    polling = (async () => {
      while (!abort.signal.aborted) {
        const scrape = await scrapeMetrics(engine.baseUrl, metricsPath);
        const value = scrape?.samples.find((s) => s.name === gauge)?.value;
        if (value !== undefined && Number.isFinite(value)) queueDepth = value;
        await pause(500, abort.signal);
      }
    })();
  }
  return {
    window() {
      const samples: ContainerSample[] = [];
      open.add(samples);
      return {
        async stop() {
          open.delete(samples);
          return samples;
        },
      };
    },
    async close() {
      abort.abort();
      open.clear();
      await Promise.all([streaming, polling]);
    },
  };
}

/**
 * A runtime reading in calibration's terms. Throttled share = throttled CFS periods / periods
 * elapsed (elapsed / 100 ms), in percent. `atMs` is moved onto calibration's clock.
 */
export function toContainerSample(
  sample: StatsSample,
  elapsedMs: number,
  queueDepth: number | undefined,
  clock: Clock = monotonicClock,
): ContainerSample {
  const periods = Math.max(1, elapsedMs / CFS_PERIOD_MS);
  return {
    atMs: clock === monotonicClock ? sample.atMs : clock.nowMs(),
    cpuPercentOfLimit: sample.cpuPercentOfLimit,
    throttledPercent: Math.min(100, (sample.throttledPeriods / periods) * 100),
    memoryBytes: sample.memoryBytes,
    ...(queueDepth === undefined ? {} : { queueDepth }),
  };
}

/**
 * Polls the engine's busy gauges until all are zero; true when it went idle within `limitMs`, or
 * when the engine has no such gauges (nothing to wait for).
 */
async function waitUntilIdle(engine: RunningEngine, limitMs: number, signal: AbortSignal): Promise<boolean> {
  const { busyGauges: gauges, path: metricsPath } = engineMetricsOf(engine);
  if (!gauges || !metricsPath) return true;
  const deadline = Date.now() + limitMs;
  while (!signal.aborted) {
    const scrape = await scrapeMetrics(engine.baseUrl, metricsPath);
    if (!scrape) return true;
    const busy = gauges.reduce((sum, name) => sum + (scrape.samples.find((s) => s.name === name)?.value ?? 0), 0);
    if (busy === 0) return true;
    if (Date.now() >= deadline) return false;
    await pause(100, signal);
  }
  return false;
}

/** Waits `ms`, or less when `signal` aborts; never rejects and leaves no listener behind. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
