import { join } from 'node:path';
import { isInterruption, KittError } from '../../core/errors.js';
import { newRunId } from '../../core/ids.js';
import { ensureWritableDir } from '../../core/kitt-home.js';
import type { Progress } from '../../core/progress.js';
import type { EngineRequest, RunningEngine } from '../../engines/engine.js';
import type { InfluxWriter } from '../../export/influx-writer.js';
import type { RunLabels } from '../../export/metric-point.js';
import type { RunMetricsExporter } from '../../export/prometheus-exporter.js';
import { writeReport } from '../../export/report/write-report.js';
import { writeResultDir } from '../../export/result-dir.js';
import { writeRunCsv } from '../../export/run-csv.js';
import type { HardwareInfo } from '../../hardware/fingerprint.js';
import { type GpuSampler, gpuSamplesJsonl } from '../../hardware/gpu-sampler.js';
import type { LoadSpec } from '../../load/load-spec.js';
import type { LoadTarget } from '../../load/load-target.js';
import type { LoadResult } from '../../load/run-load.js';
import { crossCheckEngine, type EngineCrossCheck } from '../../metrics/engine-cross-check.js';
import { type GpuSummary, summarizeGpu } from '../../metrics/gpu-energy.js';
import { renderSummaryMarkdown } from '../../metrics/render-summary.js';
import type { RequestRecord } from '../../metrics/request-record.js';
import type { SloBounds, SloTerm } from '../../metrics/slo.js';
import { type RunMetrics, summarizeRun } from '../../metrics/summarize-run.js';
import { type StagesSummary, summarizeStages } from '../../metrics/summarize-stages.js';
import type { StatsSample } from '../../runtime/container-runtime.js';
import type { StatsSeries } from '../../runtime/sample-stats.js';
import { formatStatsJsonl } from '../../runtime/sample-stats.js';
import type { Store } from '../../store/store-types.js';
import { engineCounterDeltas } from '../shared/engine-counters.js';
import { observeRecord, publishRun } from './publish-run.js';
import { stageInputs } from './stage-inputs.js';

/** The model a run serves, after the default was synthesized or a given file was checked. */
export interface PreparedModel {
  readonly path: string;
  /** Short name for tables and labels (file name without .gguf, or the synthetic preset). */
  readonly label: string;
  readonly sizeBytes?: number;
}

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
    options: { signal: AbortSignal; progress: Progress; onRecord?: (record: RequestRecord) => void },
  ): Promise<LoadResult>;
  /** Starts sampling the engine's resources; null when its mode has none to sample. */
  watchResources(engine: RunningEngine, onSample?: (sample: StatsSample) => void): ResourceWatch | null;
  collectHardware(): Promise<HardwareInfo>;
  readonly store: Store;
  /** Live Prometheus series for this run, when enabled; stopped by the caller of runBenchmark. */
  startMonitoring?(labels: RunLabels): Promise<RunMetricsExporter | undefined>;
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
  /** `interrupted`: a signal stopped the load early; metrics cover the requests measured so far. */
  readonly status: 'succeeded' | 'interrupted';
  readonly metrics: RunMetrics;
  /** One row per stage (a sweep's levels), the knee and the level of most goodput. */
  readonly stages: StagesSummary;
  readonly warnings: readonly string[];
  readonly identity: RunIdentityFacts;
  /** The signal's reason when interrupted (its code says the exit code: 130 or 143). */
  readonly interruption: KittError | undefined;
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
}

type GpuSampling = Awaited<ReturnType<GpuSampler['stop']>>;

/**
 * start engine → run load → summarise → write the result directory → record in the store.
 * The engine is stopped on every path. A failure after the load ran still writes what was
 * measured before the error surfaces; an interrupted run is written, recorded as interrupted and
 * returned (status `interrupted`), so the shell can show the partial summary before it exits.
 */
export async function runBenchmark(request: RunRequest, ports: RunPorts, context: RunContext): Promise<RunOutcome> {
  const runId = request.engine.runId || newRunId();
  const resultDir = ensureWritableDir(request.resultDir ?? join(request.home, 'results', runId));
  const { progress } = context;
  const model = await ports.prepareModel(request.engine, progress);
  const engineRequest: EngineRequest = { ...request.engine, runId, modelPath: model.path };
  const hardware = await ports.collectHardware();
  await ports.store.recordRunStarted({
    id: runId,
    engine: engineRequest.engine,
    mode: engineRequest.mode,
    model: model.label,
    modelSizeBytes: model.sizeBytes,
    hardwareFingerprint: hardware.fingerprint,
    hardware,
    config: request.config,
    limits: engineRequest.limits,
    resultPath: resultDir,
  });
  const labels: RunLabels = { engine: engineRequest.engine, model: model.label, runId, mode: engineRequest.mode };
  let stage: 'measuring' | 'writing' | 'recorded' = 'measuring';
  try {
    const exporter = await ports.startMonitoring?.(labels);
    const measured = await measure(engineRequest, request.load, ports, {
      ...context,
      exporter,
      sampleGpus: hardware.gpu.available && hardware.gpu.gpus.length > 0,
    });
    stage = 'writing';
    const written = await writeRun(request, { runId, resultDir, model, hardware, labels }, measured);
    const status = measured.load.interrupted ? 'interrupted' : 'succeeded';
    await ports.store.recordRunFinished(runId, { status, metrics: written.document, resultPath: resultDir });
    stage = 'recorded';
    await publishRun(labels, measured.load, written.metrics, ports, progress);
    return {
      runId,
      resultDir,
      status,
      metrics: written.metrics,
      stages: written.document.stages,
      warnings: written.warnings,
      identity: identityFacts(engineRequest, request.load, model, hardware),
      interruption: status === 'interrupted' ? interruptionOf(context.signal) : undefined,
    };
  } catch (error) {
    if (stage === 'recorded') throw error;
    // an error while a signal stops the start or the load comes from the stop: interrupted, not failed
    const interrupted = stage === 'measuring' && (isInterruption(error) || context.signal.aborted);
    const message = error instanceof Error ? error.message : String(error);
    await ports.store
      .recordRunFinished(runId, {
        status: interrupted ? 'interrupted' : 'failed',
        resultPath: resultDir,
        error: message,
      })
      .catch(() => undefined);
    if (!interrupted) throw error;
    const reason = interruptionOf(context.signal, error);
    throw new KittError(reason.code, `run ${runId} was ${reason.message} before it had measured anything`, {
      hint: 'the engine was stopped; start the run again',
      cause: error,
    });
  }
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

/** Starts the engine, runs the load against it with resources sampled, and always stops it. */
async function measure(
  request: EngineRequest,
  spec: LoadSpec,
  ports: RunPorts,
  context: RunContext & { exporter: RunMetricsExporter | undefined; sampleGpus: boolean },
): Promise<Measured> {
  const { exporter } = context;
  const engine = await ports.startEngine(request, context);
  let watch: ResourceWatch | null = null;
  const gpus = context.sampleGpus ? (ports.watchGpus?.() ?? null) : null;
  try {
    watch = ports.watchResources(engine, exporter ? (sample) => exporter.observeContainer(sample) : undefined);
    const crashed = engine.exited.then((exit) => {
      throw new KittError(exit.oomKilled ? 'OOM_KILLED' : 'ENGINE_EXITED', engineDiedMessage(engine, exit), {
        hint: exit.oomKilled
          ? 'raise --memory, or use a smaller model or context'
          : 'read the engine log lines above; check --engine-arg values',
      });
    });
    crashed.catch(() => undefined);
    const load = await Promise.race([
      ports.runLoad(spec, ports.targetFor(engine), {
        signal: context.signal,
        progress: context.progress,
        ...(exporter ? { onRecord: (record: RequestRecord) => observeRecord(exporter, record) } : {}),
      }),
      crashed as Promise<never>,
    ]);
    const stats = watch ? await watch.stop(context.force) : null;
    watch = null;
    const gpu = gpus ? await gpus.stop() : null;
    return { load, stats, gpu };
  } finally {
    if (watch) await watch.stop(context.force).catch(() => undefined);
    await gpus?.stop().catch(() => undefined);
    context.progress.phase(`stopping ${engine.name}`);
    await engine.stop();
    context.progress.end();
  }
}

function engineDiedMessage(engine: RunningEngine, exit: { oomKilled: boolean; reason: string }): string {
  const limit = engine.limits.memoryBytes;
  if (exit.oomKilled) {
    return `${engine.name} was killed for running out of memory${limit ? ` at its limit of ${limit} bytes` : ''}`;
  }
  return `${engine.name} exited during the run: ${exit.reason}`;
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

async function writeRun(
  request: RunRequest,
  identity: RunIdentity,
  measured: Measured,
): Promise<{ metrics: RunMetrics; document: RunDocument; warnings: string[] }> {
  const { load, stats, gpu: gpuSampling } = measured;
  const metrics = summarizeRun(load.records, {
    ...(request.slo ? { slo: request.slo } : {}),
    ...(request.sloPercentiles ? { sloPercentiles: request.sloPercentiles } : {}),
    ...(load.window ? { window: load.window } : {}),
  });
  const stages = summarizeStages(load.records, stageInputs(load), {
    ...(request.slo ? { slo: request.slo } : {}),
    ...(request.sloPercentiles ? { sloPercentiles: request.sloPercentiles } : {}),
  });
  const crossCheck = crossCheckEngine(
    load.records,
    engineCounterDeltas(request.engine.engine, load.engineCounters?.deltas),
  );
  const gpu = gpuSampling ? summarizeGpu(gpuSampling.samples, metrics.window, metrics.tokens.outputTotal) : null;
  const warnings = [...load.warnings];
  if (gpuSampling && !gpu) warnings.push(`no GPU samples: ${gpuSampling.reason ?? 'nvidia-smi printed none'}`);
  if (metrics.requests.succeeded === 0 && metrics.requests.total > 0) {
    warnings.push(`no request succeeded: ${JSON.stringify(metrics.requests.errorsByKind)}`);
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
    interrupted: load.interrupted,
  };
  const facts: Record<string, string> = {
    run: identity.runId,
    engine: `${identity.labels.engine} (${identity.labels.mode})`,
    model: identity.model.label,
    load: describeLoad(request.load),
    limits: describeLimits(request.engine.limits),
    hardware: `${identity.hardware.cpu.model}, ${identity.hardware.cpu.logicalCores} CPUs (fingerprint ${identity.hardware.fingerprint.slice(0, 12)})`,
  };
  const summaryMarkdown = renderSummaryMarkdown(metrics, {
    title: `kitt run ${identity.runId}${load.interrupted ? ' (interrupted)' : ''}`,
    facts,
    crossCheck,
    warnings,
    gpu,
    stages,
  });
  await writeResultDir(identity.resultDir, {
    metrics: { ...document },
    records: load.records,
    summaryMarkdown,
    originMs: load.wallAnchor.monotonicMs,
    extraFiles: {
      'hardware.json': `${JSON.stringify(identity.hardware, null, 2)}\n`,
      'run.json': `${JSON.stringify({ engine: request.engine, load: request.load, config: request.config, kittVersion: request.kittVersion, wallAnchor: load.wallAnchor }, null, 2)}\n`,
      ...(stats ? { 'stats.jsonl': formatStatsJsonl(stats.samples, load.wallAnchor.monotonicMs) } : {}),
      ...(gpuSampling?.samples.length
        ? { 'gpu.jsonl': gpuSamplesJsonl(gpuSampling.samples, load.wallAnchor.monotonicMs) }
        : {}),
    },
  });
  await writeRunCsv(identity.resultDir, {
    records: load.records,
    stages: stages.stages,
    originMs: load.wallAnchor.monotonicMs,
  });
  await writeReport(identity.resultDir);
  return { metrics, document, warnings };
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
