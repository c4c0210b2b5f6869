import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { anchorWallClock, monotonicClock, type WallAnchor } from '../../core/clock.js';
import { isInterruption, KittError } from '../../core/errors.js';
import { ensureWritableDir } from '../../core/kitt-home.js';
import type { Progress } from '../../core/progress.js';
import { formatBytes } from '../../core/units.js';
import type { EngineExit, EngineRequest, RunningEngine } from '../../engines/engine.js';
import type { InfluxWriter } from '../../export/influx-writer.js';
import type { RunLabels } from '../../export/metric-point.js';
import type { RunMetricsExporter } from '../../export/prometheus-exporter.js';
import { writeReport } from '../../export/report/write-report.js';
import { readRequestLog } from '../../export/request-log-reader.js';
import { exportFailed, writeResultDir } from '../../export/result-dir.js';
import { writeRunCsv } from '../../export/run-csv.js';
import type { HardwareInfo } from '../../hardware/fingerprint.js';
import { type GpuSampler, gpuSamplesJsonl } from '../../hardware/gpu-sampler.js';
import type { LoadSpec } from '../../load/load-spec.js';
import type { LoadTarget } from '../../load/load-target.js';
import type { LoadResult } from '../../load/run-load.js';
import type { EngineCrossCheck } from '../../metrics/engine-cross-check.js';
import { type GpuSummary, summarizeGpu } from '../../metrics/gpu-energy.js';
import { renderSummaryMarkdown } from '../../metrics/render-summary.js';
import type { RequestRecord } from '../../metrics/request-record.js';
import type { SloBounds, SloTerm } from '../../metrics/slo.js';
import type { RunMetrics } from '../../metrics/summarize-run.js';
import { type StagesSummary, summarizeStageFigures } from '../../metrics/summarize-stages.js';
import type { StatsSample } from '../../runtime/container-runtime.js';
import type { StatsSeries } from '../../runtime/sample-stats.js';
import { formatStatsJsonl } from '../../runtime/sample-stats.js';
import type { Store } from '../../store/store-types.js';
import { engineCounterDeltas } from '../shared/engine-counters.js';
import type { ModelToServe } from '../shared/prepare-model.js';
import { recordRunStart } from '../shared/record-run-start.js';
import type { LiveFeed } from './live-feed.js';
import { observeRecord, publishRun } from './publish-run.js';
import { openRecordSinks, type RecordSinks, sinkRecord } from './record-sinks.js';
import { stageInputs } from './stage-inputs.js';

/** The model a run serves, after the default was synthesized or a given file was checked. */
export type PreparedModel = ModelToServe;

/** What a run asks for. The engine request's model may be empty: the default model is used. */
export interface RunRequest {
  readonly engine: EngineRequest;
  readonly load: LoadSpec;
  readonly slo?: SloBounds;
  /** Percentile terms of the SLO (`ttft-p99=800ms`), judged once against the run. */
  readonly sloPercentiles?: readonly SloTerm[];
  readonly home: string;
  /** Default: `<home>/results/<run id>`. */
  readonly resultDir?: string;
  /** The effective configuration, stored with the run. */
  readonly config?: unknown;
  readonly kittVersion: string;
}

/** Resource sampling of a started engine: stop() ends it and hands back the series. */
export interface ResourceWatch {
  /**
   * Ends sampling. A run shorter than one reading waits briefly for its first sample, unless
   * `force` is aborted (a second Ctrl-C): then it ends at once with what it has.
   */
  stop(force?: AbortSignal): Promise<StatsSeries>;
}

/** The parts a run is made of; the CLI and the web server wire the real ones, tests may swap one. */
export interface RunPorts {
  prepareModel(request: EngineRequest, progress: Progress): Promise<PreparedModel>;
  /** Samples the host's GPUs beside the load (nvidia-smi); absent where there is nothing to sample. */
  watchGpus?(): GpuSampler;
  startEngine(request: EngineRequest, options: { progress: Progress; signal: AbortSignal }): Promise<RunningEngine>;
  /** Where and how the load generator talks to the started engine. */
  targetFor(engine: RunningEngine): LoadTarget;
  runLoad(
    spec: LoadSpec,
    target: LoadTarget,
    options: {
      signal: AbortSignal;
      progress: Progress;
      onRecord?: (record: RequestRecord) => void;
      onMeasureStart?: (stage: number, scheduledAtMs: number) => void;
    },
  ): Promise<LoadResult>;
  /** Starts sampling the engine's resources; null when its mode has none to sample. */
  watchResources(engine: RunningEngine, onSample?: (sample: StatsSample) => void): ResourceWatch | null;
  collectHardware(): Promise<HardwareInfo>;
  readonly store: Store;
  /** Live Prometheus series for this run, when enabled; stopped by the caller of runBenchmark. */
  startMonitoring?(labels: RunLabels): Promise<RunMetricsExporter | undefined>;
  /** Publishes the run's live snapshot to a kitt server, when one was given; finished by runBenchmark. */
  startLive?(run: { runId: string; load: LoadSpec }): LiveFeed | undefined;
  readonly influx?: InfluxWriter;
}

/** What ran, where and on what: the identity facts a shell shows beside the metrics. */
export interface RunIdentityFacts {
  readonly engine: EngineRequest['engine'];
  readonly mode: EngineRequest['mode'];
  readonly model: string;
  readonly modelSizeBytes: number | undefined;
  readonly load: LoadSpec;
  readonly limits: EngineRequest['limits'];
  readonly hardwareFingerprint: string;
  readonly cpu: string;
  readonly logicalCores: number;
}

/**
 * What a finished run hands back: data only, the same records-derived figures that metrics.json
 * and the store hold. The CLI renders it as a table; the web server can send it as JSON.
 */
export interface RunOutcome {
  readonly runId: string;
  readonly resultDir: string;
  /**
   * `interrupted`: a signal stopped the load early; `engine-failed`: the engine ended mid-run;
   * `failed`: the results folder could not be written (the store still has the metrics). In all
   * three the metrics cover the requests measured so far.
   */
  readonly status: 'succeeded' | 'interrupted' | 'engine-failed' | 'failed';
  readonly metrics: RunMetrics;
  /** One row per stage (a sweep's levels), the knee and the level of most goodput. */
  readonly stages: StagesSummary;
  readonly warnings: readonly string[];
  readonly identity: RunIdentityFacts;
  /** The signal's reason when interrupted (its code says the exit code: 130 or 143). */
  readonly interruption: KittError | undefined;
  /** Why an `engine-failed` or `failed` run failed, for the shell to show after the summary. */
  readonly failure: KittError | undefined;
}

/** How a shell talks to a run: progress, the stop signal, and the signal that forces a quick cleanup. */
export interface RunContext {
  readonly progress: Progress;
  /** Aborted on the first SIGINT/SIGTERM: the load stops and what it measured is kept. */
  readonly signal: AbortSignal;
  /** Aborted on a second signal: shutdown stops waiting where it can, but still removes the engine. */
  readonly force?: AbortSignal;
}

/** Everything a run measured, kept together so a failure later on cannot lose it. */
interface Measured {
  readonly load: LoadResult;
  readonly stats: StatsSeries | null;
  readonly gpu: GpuSampling | null;
  /** How the engine ended when it ended on its own before kitt stopped it. */
  readonly engineEnd: KittError | null;
}

type GpuSampling = Awaited<ReturnType<GpuSampler['stop']>>;

/**
 * start engine → run load → summarise → write the result directory → record in the store.
 * The engine is stopped on every path. A failure after the load ran still writes what was
 * measured before the error surfaces; an interrupted run is written, recorded as interrupted and
 * returned (status `interrupted`), so the shell can show the partial summary before it exits.
 */
export async function runBenchmark(request: RunRequest, ports: RunPorts, context: RunContext): Promise<RunOutcome> {
  // the shell made the run id once, with the plan: the engine's container name already carries it
  const runId = request.engine.runId;
  const resultDir = ensureWritableDir(request.resultDir ?? join(request.home, 'results', runId));
  const { progress } = context;
  const model = await ports.prepareModel(request.engine, progress);
  const engineRequest: EngineRequest = { ...request.engine, runId, modelPath: model.path };
  const hardware = await ports.collectHardware();
  // requests.jsonl times count from here; run.json says when that was, from the first record on
  const origin = anchorWallClock(monotonicClock);
  const runJson = (wallAnchor: WallAnchor) =>
    `${JSON.stringify({ engine: request.engine, load: request.load, config: request.config, kittVersion: request.kittVersion, wallAnchor }, null, 2)}\n`;
  await writeFile(join(resultDir, 'run.json'), runJson(origin)).catch((error: unknown) => {
    throw exportFailed(resultDir, error);
  });
  const sinks = await openRecordSinks(resultDir, request.load, request, origin);
  await recordRunStart(ports.store, {
    engine: engineRequest,
    model,
    hardware,
    config: recordedConfig(request, engineRequest, model),
    resultDir,
  });
  const labels: RunLabels = { engine: engineRequest.engine, model: model.label, runId, mode: engineRequest.mode };
  let stage: 'measuring' | 'writing' | 'recorded' = 'measuring';
  const live = ports.startLive?.({ runId, load: request.load });
  try {
    const exporter = await ports.startMonitoring?.(labels);
    const measured = await measure(engineRequest, request.load, ports, sinks, {
      ...context,
      progress: live?.tap(progress) ?? progress,
      exporter,
      live,
      sampleGpus: hardware.gpu.available && hardware.gpu.gpus.length > 0,
    });
    stage = 'writing';
    const written = await writeRun(request, { runId, resultDir, model, hardware, labels }, measured, sinks, runJson);
    const status = measured.engineEnd
      ? 'engine-failed'
      : written.exportError
        ? 'failed'
        : measured.load.interrupted
          ? 'interrupted'
          : 'succeeded';
    const failure = measured.engineEnd ?? written.exportError;
    await ports.store.recordRunFinished(runId, {
      status,
      metrics: written.document,
      resultPath: resultDir,
      ...(failure ? { error: failure.message } : {}),
    });
    stage = 'recorded';
    await live?.finish(status);
    await publishRun(labels, { path: join(resultDir, 'requests.jsonl'), origin }, written.metrics, ports, progress);
    return {
      runId,
      resultDir,
      status,
      metrics: written.metrics,
      stages: written.document.stages,
      warnings: written.warnings,
      identity: identityFacts(engineRequest, request.load, model, hardware),
      interruption: status === 'interrupted' ? interruptionOf(context.signal) : undefined,
      failure,
    };
  } catch (error) {
    if (stage === 'recorded') throw error;
    await sinks.log.close();
    // an error while a signal stops the start or the load comes from the stop: interrupted, not failed
    const interrupted = stage === 'measuring' && (isInterruption(error) || context.signal.aborted);
    const endStatus = interrupted ? 'interrupted' : isEngineEnd(error) ? 'engine-failed' : 'failed';
    const message = error instanceof Error ? error.message : String(error);
    const measuredSome = sinks.accumulator.requests > 0;
    await ports.store
      .recordRunFinished(runId, {
        status: endStatus,
        resultPath: resultDir,
        error: message,
        // what was measured before the error still counts: requests.jsonl holds the records
        ...(measuredSome ? { metrics: { runId, metrics: sinks.accumulator.summarize(), partial: true } } : {}),
      })
      .catch(() => undefined);
    await live?.finish(endStatus);
    if (!interrupted) throw error;
    const reason = interruptionOf(context.signal, error);
    throw new KittError(reason.code, `run ${runId} was ${reason.message} before it had measured anything`, {
      hint: 'the engine was stopped; start the run again',
      cause: error,
    });
  }
}

/** An error that says the engine itself ended (exited, was killed, ran out of memory, never got ready). */
function isEngineEnd(error: unknown): boolean {
  return error instanceof KittError && ['OOM_KILLED', 'ENGINE_EXITED', 'ENGINE_NOT_READY'].includes(error.code);
}

/**
 * The configuration stored with the run: the file/env config (secrets already masked by their type)
 * and, under `effective`, what the run really used once flags, profiles and defaults were applied.
 */
function recordedConfig(request: RunRequest, engine: EngineRequest, model: PreparedModel): unknown {
  const effective = {
    engine: engine.engine,
    mode: engine.mode,
    model: model.label,
    limits: engine.limits,
    load: request.load,
    ...(request.slo ? { slo: request.slo } : {}),
    ...(request.sloPercentiles ? { sloPercentiles: request.sloPercentiles.map((term) => term.text) } : {}),
  };
  const config = typeof request.config === 'object' && request.config !== null ? request.config : {};
  return { ...config, effective };
}

/** The signal's own reason when it is one of kitt's interruptions (it carries 130 or 143). */
function interruptionOf(signal: AbortSignal, fallback?: unknown): KittError {
  if (isInterruption(signal.reason)) return signal.reason;
  if (isInterruption(fallback)) return fallback;
  return new KittError('INTERRUPTED', 'interrupted');
}

function identityFacts(
  request: EngineRequest,
  load: LoadSpec,
  model: PreparedModel,
  hardware: HardwareInfo,
): RunIdentityFacts {
  return {
    engine: request.engine,
    mode: request.mode,
    model: model.label,
    modelSizeBytes: model.sizeBytes,
    load,
    limits: request.limits,
    hardwareFingerprint: hardware.fingerprint,
    cpu: hardware.cpu.model,
    logicalCores: hardware.cpu.logicalCores,
  };
}

/**
 * Starts the engine, runs the load against it with resources sampled, and always stops it. Each
 * record goes to the accumulator and requests.jsonl as it completes. An engine that ends on its
 * own (exit, kill, OOM) stops the load, and what was measured until then is kept: the ending comes
 * back as `engineEnd` with the engine's last log lines, read before the engine is removed.
 */
async function measure(
  request: EngineRequest,
  spec: LoadSpec,
  ports: RunPorts,
  sinks: RecordSinks,
  context: RunContext & { exporter: RunMetricsExporter | undefined; live: LiveFeed | undefined; sampleGpus: boolean },
): Promise<Measured> {
  const { exporter, live } = context;
  const engine = await ports.startEngine(request, context);
  let watch: ResourceWatch | null = null;
  const gpus = context.sampleGpus ? (ports.watchGpus?.() ?? null) : null;
  type Moment = 'during the run' | 'after the load, while kitt read its final stats';
  let during: Moment | null = 'during the run';
  let ended: { exit: EngineExit; during: Moment } | null = null;
  const engineGone = new AbortController();
  engine.exited.then(
    (exit) => {
      if (during === null) return; // kitt stopped it
      ended = { exit, during };
      engineGone.abort();
    },
    () => undefined,
  );
  // a getter, so the compiler does not narrow `ended` to the null it was when the callback was set
  const endedNow = (): { exit: EngineExit; during: Moment } | null => ended;
  try {
    watch = ports.watchResources(
      engine,
      exporter || live
        ? (sample) => {
            exporter?.observeContainer(sample);
            live?.observeContainer(sample);
          }
        : undefined,
    );
    const onRecord = (record: RequestRecord) => {
      sinkRecord(sinks, record);
      if (exporter) observeRecord(exporter, record);
      live?.observeRecord(record);
    };
    let load: LoadResult;
    try {
      load = await ports.runLoad(spec, ports.targetFor(engine), {
        signal: AbortSignal.any([context.signal, engineGone.signal]),
        progress: context.progress,
        onRecord,
        onMeasureStart: (stage, scheduledAtMs) => sinks.stages.measureStarted(stage, scheduledAtMs),
      });
    } catch (error) {
      const end = endedNow();
      if (!end) throw error;
      throw await engineEndError(engine, end.exit, end.during, sinks);
    }
    during = 'after the load, while kitt read its final stats';
    const stats = watch ? await watch.stop(context.force) : null;
    watch = null;
    const gpu = gpus ? await gpus.stop() : null;
    const end = endedNow();
    const engineEnd = end ? await engineEndError(engine, end.exit, end.during, sinks) : null;
    during = null;
    return { load, stats, gpu, engineEnd };
  } finally {
    during = null;
    if (watch) await watch.stop(context.force).catch(() => undefined);
    await gpus?.stop().catch(() => undefined);
    // a server kitt did not start (--target) is left as it was found
    context.progress.phase(
      engine.mode === 'external' ? `leaving ${engine.baseUrl} running` : `stopping ${engine.name}`,
    );
    await engine.stop();
    context.progress.end();
  }
}

/** How many log lines an engine's end shows. */
const LOG_TAIL_LINES = 15;

/** One message for an engine that ended on its own: which, how, when, what was kept, its last log lines. */
async function engineEndError(
  engine: RunningEngine,
  exit: EngineExit,
  during: string,
  sinks: RecordSinks,
): Promise<KittError> {
  const limit = engine.limits.memoryBytes;
  const how = exit.oomKilled
    ? `was killed for running out of memory${limit ? ` at its limit of ${formatBytes(limit)}` : ''}`
    : exit.reason;
  const tail = (await engine.logTail(LOG_TAIL_LINES).catch(() => '')).trimEnd();
  const logLines = tail ? `\nlast lines of its log:\n${indent(tail)}` : '\n(its log was empty)';
  const kept = `${sinks.accumulator.requests} request(s) measured before are kept`;
  return new KittError(
    exit.oomKilled ? 'OOM_KILLED' : 'ENGINE_EXITED',
    `${engine.name} ${how} ${during}; ${kept}${logLines}`,
    {
      hint: exit.oomKilled
        ? 'raise --memory, or use a smaller model or context'
        : "the log lines above say why; check --engine-arg values and the engine's limits",
    },
  );
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

interface RunIdentity {
  readonly runId: string;
  readonly resultDir: string;
  readonly model: PreparedModel;
  readonly hardware: HardwareInfo;
  readonly labels: RunLabels;
}

/** The document stored as metrics.json and in the store: the run's metrics plus how they were made. */
interface RunDocument {
  readonly runId: string;
  readonly metrics: RunMetrics;
  /** Per-stage rows (docs/metrics.md, "Stages"). */
  readonly stages: StagesSummary;
  readonly selfCheck: LoadResult['selfCheck'];
  readonly crossCheck: EngineCrossCheck;
  readonly resources: StatsSeries['summary'] | null;
  /** GPU utilisation, power and energy per output token; null where no GPU was sampled. */
  readonly gpu: GpuSummary | null;
  readonly limits: EngineRequest['limits'];
  readonly load: LoadSpec;
  readonly warnings: readonly string[];
  readonly interrupted: boolean;
}

/**
 * Summarises the run from its accumulators (run, stages, cross-check) and writes metrics.json,
 * summary.md and the side files (requests.jsonl was appended while it ran; requests.csv is read
 * back from it). A folder that cannot be written (disk full, gone, read-only) does not lose the
 * metrics: they come back with the error for the store and the shell.
 */
async function writeRun(
  request: RunRequest,
  identity: RunIdentity,
  measured: Measured,
  sinks: RecordSinks,
  runJson: (wallAnchor: WallAnchor) => string,
): Promise<{ metrics: RunMetrics; document: RunDocument; warnings: string[]; exportError: KittError | undefined }> {
  const { load, stats, gpu: gpuSampling } = measured;
  const metrics = sinks.accumulator.summarize(load.window ?? undefined);
  const stages = summarizeStageFigures(sinks.stages, stageInputs(load));
  const crossCheck = sinks.crossCheck.result(engineCounterDeltas(request.engine.engine, load.engineCounters?.deltas));
  const gpu = gpuSampling ? summarizeGpu(gpuSampling.samples, metrics.window, metrics.tokens.outputTotal) : null;
  const warnings = [...load.warnings];
  if (gpuSampling && !gpu) warnings.push(`no GPU samples: ${gpuSampling.reason ?? 'nvidia-smi printed none'}`);
  if (metrics.requests.succeeded === 0 && metrics.requests.total > 0) {
    warnings.push(`no request succeeded: ${JSON.stringify(metrics.requests.errorsByKind)}`);
  }
  await sinks.log.close();
  const { failure } = sinks.log;
  if (failure) {
    warnings.push(
      `requests.jsonl holds ${sinks.log.written} of the run's records: ${sinks.log.lost} could not be written`,
    );
  }
  const document: RunDocument = {
    runId: identity.runId,
    metrics,
    stages,
    selfCheck: load.selfCheck,
    crossCheck,
    resources: stats?.summary ?? null,
    gpu,
    limits: request.engine.limits,
    load: request.load,
    warnings,
    interrupted: load.interrupted && !measured.engineEnd,
  };
  const facts: Record<string, string> = {
    run: identity.runId,
    engine: `${identity.labels.engine} (${identity.labels.mode})`,
    model: identity.model.label,
    load: describeLoad(request.load),
    limits: describeLimits(request.engine.limits),
    hardware: `${identity.hardware.cpu.model}, ${identity.hardware.cpu.logicalCores} CPUs (fingerprint ${identity.hardware.fingerprint.slice(0, 12)})`,
  };
  const title = measured.engineEnd ? ' (engine failed)' : load.interrupted ? ' (interrupted)' : '';
  const summaryMarkdown = renderSummaryMarkdown(metrics, {
    title: `kitt run ${identity.runId}${title}`,
    facts,
    crossCheck,
    warnings,
    gpu,
    stages,
  });
  let exportError = failure;
  try {
    await writeResultDir(identity.resultDir, {
      metrics: { ...document },
      summaryMarkdown,
      extraFiles: {
        'hardware.json': `${JSON.stringify(identity.hardware, null, 2)}\n`,
        'run.json': runJson(sinks.origin),
        ...(stats ? { 'stats.jsonl': formatStatsJsonl(stats.samples, sinks.origin.monotonicMs) } : {}),
        ...(gpuSampling?.samples.length
          ? { 'gpu.jsonl': gpuSamplesJsonl(gpuSampling.samples, sinks.origin.monotonicMs) }
          : {}),
      },
    });
    // requests.csv from requests.jsonl read back line by line: the same bytes as from the records
    await writeRunCsv(identity.resultDir, {
      records: readRequestLog(join(identity.resultDir, 'requests.jsonl')),
      stages: stages.stages,
    });
    await writeReport(identity.resultDir);
  } catch (error) {
    exportError ??= error instanceof KittError ? error : exportFailed(identity.resultDir, error);
  }
  return { metrics, document, warnings, exportError };
}

export function describeLoad(spec: LoadSpec): string {
  const shape =
    spec.kind === 'fixed-concurrency'
      ? `concurrency ${spec.concurrency}`
      : spec.kind === 'constant-rate' || spec.kind === 'poisson'
        ? `${spec.rate} req/s`
        : spec.kind === 'sweep'
          ? `${spec.of} over ${spec.levels.join(', ')}`
          : spec.kind === 'ramp-rate' || spec.kind === 'ramp-concurrency'
            ? `${spec.from} → ${spec.to}`
            : 'one at a time';
  const limit = [
    spec.requests !== undefined ? `${spec.requests} requests` : '',
    spec.durationS !== undefined ? `${spec.durationS} s` : '',
  ]
    .filter(Boolean)
    .join(' or ');
  return `${spec.kind}, ${shape}${limit ? `, ${limit}` : ''}`;
}

export function describeLimits(limits: EngineRequest['limits']): string {
  const parts = [
    limits.cpus !== undefined ? `${limits.cpus} CPUs` : '',
    limits.memoryBytes !== undefined ? `${Math.round(limits.memoryBytes / 1024 ** 2)} MiB memory` : '',
    limits.pids !== undefined ? `${limits.pids} pids` : '',
    limits.gpus !== undefined ? `GPUs ${limits.gpus === 'all' ? 'all' : limits.gpus.join(',')}` : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'none';
}
