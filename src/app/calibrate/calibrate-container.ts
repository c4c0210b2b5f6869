import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { estimateRate, formatRateEstimate, type RateEstimate } from '../../calibrate/estimate-rate.js';
import { type AcrossRuns, acrossRuns, formatAcrossRuns, measureHostDrift } from '../../calibrate/host-drift.js';
import type { CalibrationPolicy, WindowPlan, WindowRecord } from '../../calibrate/plan-next-window.js';
import { planNextWindow } from '../../calibrate/plan-next-window.js';
import { type ContainerSample, summarizeWindow } from '../../calibrate/summarize-window.js';
import { judgeWindow, type WindowMeasurement, type WindowVerdict } from '../../calibrate/window-verdict.js';
import type { Clock } from '../../core/clock.js';
import { KittError } from '../../core/errors.js';
import type { Progress } from '../../core/progress.js';
import { formatBytes } from '../../core/units.js';
import type { EngineExit, EngineRequest, ResourceLimits, RunningEngine } from '../../engines/engine.js';
import { writeReport } from '../../export/report/write-report.js';
import type { RequestRecord } from '../../metrics/request-record.js';
import { limitsKey, rateKey } from '../shared/calibrated-rate.js';
import {
  type ContextsPorts,
  type ContextsRequest,
  type ContextsResult,
  calibrateContexts,
  formatContextsResult,
} from './calibrate-contexts.js';
import { type HostResponsiveness, startHostProbe } from './calibrate-host-probe.js';

/**
 * What calibration needs from the rest of kitt, passed in so the flow is the same for the CLI, the
 * web server and tests: start an engine, run one window of open-loop load, sample container stats,
 * and save the result.
 */
export interface CalibrationPorts {
  readonly clock: Clock;
  startEngine(request: EngineRequest, signal: AbortSignal): Promise<RunningEngine>;
  /**
   * Open-loop constant-rate load at `ratePerS` requests/s for `durationMs`, then let in-flight
   * requests finish (at most `drainMs`); returns every record on `clock`.
   */
  runWindow(
    engine: RunningEngine,
    window: {
      readonly ratePerS: number;
      readonly durationMs: number;
      readonly drainMs: number;
      readonly signal: AbortSignal;
    },
  ): Promise<readonly RequestRecord[]>;
  /** Samples the engine's container (CPU % of limit, throttling, memory, queue gauge) until stopped. */
  startSampling(engine: RunningEngine, intervalMs: number): { stop(): Promise<ContainerSample[]> };
  /** Writes the calibrated rate to config and the store; `resultDir` holds the report. */
  saveCalibration?(result: CalibrationResult, resultDir: string): Promise<void>;
  /**
   * The estimated rates of earlier calibrations of this engine and limits with this model, newest
   * first: how far the host moves between runs (calibrate/host-drift.ts). Absent: not known.
   */
  earlierEstimates?(engine: string, limitsKey: string, model: string): Promise<readonly number[]>;
  /** The contexts phase's parts (calibrate-contexts.ts); without them it is not run. */
  readonly contexts?: Pick<ContextsPorts, 'fillContexts' | 'readKvShape' | 'saveMaxContexts'>;
}

export interface CalibrationRequest {
  readonly engine: EngineRequest;
  readonly modelLabel: string;
  readonly policy: CalibrationPolicy;
  readonly windowMs: number;
  readonly soakMs: number;
  readonly sampleIntervalMs?: number;
  readonly resultDir: string;
  /** After the rate: the most full contexts that fit the memory limit (calibrate-contexts.ts); absent: not sized. */
  readonly contexts?: Omit<ContextsRequest, 'engine'>;
}

export interface CalibrationWindowReport {
  readonly index: number;
  readonly kind: 'probe' | 'soak';
  readonly rate: number;
  /** Why the controller chose this window. */
  readonly why: string;
  readonly measurement: WindowMeasurement;
  readonly outputTokensPerS: number;
  readonly verdict: WindowVerdict;
  readonly good: boolean;
  readonly reasons: readonly string[];
}

export interface CalibrationResult {
  readonly runId: string;
  readonly engine: string;
  readonly mode: EngineRequest['mode'];
  readonly model: string;
  readonly limits: ResourceLimits;
  /** `<engine>/<limits>`, e.g. `llamacpp/1cpu-2GiB`: the key under compute.rates in config. */
  readonly rateKey: string;
  readonly unit: 'requests/s';
  readonly objective: CalibrationPolicy['objective'];
  readonly cpuBand: CalibrationPolicy['cpuBand'];
  readonly slo: CalibrationPolicy['slo'];
  readonly outcome: 'calibrated' | 'failed';
  /** Calibrated rate in requests/s (undefined when calibration failed). */
  readonly rate: number | undefined;
  /** Output tokens/s sustained at that rate during the soak (or the last window at that rate). */
  readonly tokensPerS: number | undefined;
  /** Whether the soak held; undefined without a soak. */
  readonly held: boolean | undefined;
  readonly reason: string;
  /**
   * The rate at which the mean CPU reaches the band's top, with its 95 % interval, from the probe
   * windows (src/calibrate/estimate-rate.ts, docs/calibrate.md); `unavailable` says why there is none.
   */
  readonly estimate: RateEstimate;
  /**
   * The interval for the rate another calibration on this host would find: `estimate`'s, widened
   * by how far earlier calibrations of this engine, limits and model scattered (calibrate/host-drift.ts).
   * Absent with fewer than two of them, or without an estimate.
   */
  readonly acrossRuns?: AcrossRuns;
  /** Earlier calibrations of this engine, limits and model that were found (the drift is read from ≤ 10). */
  readonly earlierCalibrations: number;
  /** The precision asked (`--precision`) and reached: the interval's half-width / its rate (0.05 = ±5 %). */
  readonly precision: { readonly asked: number | undefined; readonly reached: number | undefined };
  readonly windows: readonly CalibrationWindowReport[];
  readonly host: HostResponsiveness | undefined;
  readonly calibratedAt: string;
  /** The contexts phase: the count verified, its estimate and every verification, or why none was measured. */
  readonly contexts?: ContextsResult;
}

export { limitsKey };

/**
 * Calibrates one engine container: start it with the limits, run measurement windows as the
 * controller plans them, soak, save and report. The engine is stopped on every path; an OOM kill
 * becomes KittError OOM_KILLED naming the memory limit, after the report is written.
 */
export async function calibrateContainer(
  request: CalibrationRequest,
  ports: CalibrationPorts,
  options: { readonly signal: AbortSignal; readonly progress: Progress },
): Promise<CalibrationResult> {
  const { progress, signal } = options;
  const windows: CalibrationWindowReport[] = [];
  const history: WindowRecord[] = [];
  progress.phase(`starting ${request.engine.engine} (${limitsKey(request.engine.limits)})`);
  const engine = await ports.startEngine(request.engine, signal);
  progress.end(engine.baseUrl);
  const probe = startHostProbe();
  let host: HostResponsiveness | undefined;
  let final: WindowPlan | undefined;
  let exit: EngineExit | undefined;
  try {
    void engine.exited.then((e) => {
      exit = e;
    });
    for (let step = 0; step < request.policy.maxWindows * 2 + 4; step += 1) {
      signal.throwIfAborted();
      const plan = planNextWindow(history, request.policy);
      if (plan.action === 'done' || plan.action === 'fail') {
        final = plan;
        break;
      }
      const kind = plan.action === 'try' ? 'probe' : 'soak';
      const durationMs = kind === 'soak' ? request.soakMs : request.windowMs;
      progress.phase(`window ${windows.length + 1} ${kind} at ${plan.rate.toFixed(3)} req/s`, durationMs);
      const report = await runOneWindow(
        engine,
        ports,
        request,
        { kind, rate: plan.rate, durationMs, why: plan.reason },
        () => exit,
        signal,
      );
      report.index = windows.length + 1;
      windows.push(report);
      history.push({ kind, rate: plan.rate, measurement: report.measurement });
      progress.end(`${report.verdict}: ${report.reasons.join('; ')}`);
    }
  } finally {
    host = await probe.stop();
    await engine.stop();
  }
  final ??= { action: 'fail', reason: 'the controller did not finish' };
  const oomKilled = windows.some((w) => w.measurement.oomKilled);
  const contexts = oomKilled ? undefined : await sizeContexts(request, ports, options);
  const earlier = await ports
    .earlierEstimates?.(request.engine.engine, limitsKey(request.engine.limits), request.modelLabel)
    .catch(() => undefined);
  const result = {
    ...buildResult(request, final, windows, host, earlier ?? []),
    ...(contexts ? { contexts } : {}),
  };
  await writeCalibrationReport(request.resultDir, result);
  await writeReport(request.resultDir);
  if (result.outcome === 'calibrated') await ports.saveCalibration?.(result, request.resultDir);
  if (oomKilled) {
    const limit = request.engine.limits.memoryBytes;
    throw new KittError(
      'OOM_KILLED',
      `the engine was OOM-killed under a ${limit ? formatBytes(limit) : 'no'} memory limit`,
      {
        hint: 'raise --memory, or use a smaller model or context',
        details: { resultDir: request.resultDir },
      },
    );
  }
  if (result.outcome === 'failed') {
    throw new KittError('CALIBRATION_FAILED', `calibration failed: ${result.reason}`, {
      hint: `see ${join(request.resultDir, 'calibration.md')}; try a lower start rate or wider limits`,
      details: { resultDir: request.resultDir },
    });
  }
  return result;
}

/** The contexts phase, when asked for and wired; its one line goes to the progress log. */
async function sizeContexts(
  request: CalibrationRequest,
  ports: CalibrationPorts,
  options: { readonly signal: AbortSignal; readonly progress: Progress },
): Promise<ContextsResult | undefined> {
  if (!request.contexts || !ports.contexts) return undefined;
  const result = await calibrateContexts(
    { ...request.contexts, engine: request.engine },
    {
      startEngine: (engine, signal) => ports.startEngine(engine, signal),
      startSampling: (engine, intervalMs) => ports.startSampling(engine, intervalMs),
      ...ports.contexts,
    },
    options,
  );
  options.progress.info(formatContextsResult(result));
  return result;
}

async function runOneWindow(
  engine: RunningEngine,
  ports: CalibrationPorts,
  request: CalibrationRequest,
  window: { kind: 'probe' | 'soak'; rate: number; durationMs: number; why: string },
  exitOf: () => EngineExit | undefined,
  signal: AbortSignal,
): Promise<CalibrationWindowReport & { index: number }> {
  // The window stops at once if the engine dies (OOM) or the person interrupts: never a hang.
  const windowAbort = new AbortController();
  const onAbort = () => windowAbort.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  void engine.exited.then(() => windowAbort.abort(new KittError('ENGINE_EXITED', 'the engine exited')));
  const sampler = ports.startSampling(engine, request.sampleIntervalMs ?? 500);
  const startMs = ports.clock.nowMs();
  let records: readonly RequestRecord[] = [];
  try {
    records = await ports.runWindow(engine, {
      ratePerS: window.rate,
      durationMs: window.durationMs,
      drainMs: Math.max(2000, window.durationMs),
      signal: windowAbort.signal,
    });
  } catch (error) {
    if (signal.aborted || exitOf() === undefined) throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  const allSamples = await sampler.stop();
  // give a just-killed container a moment to report its exit before judging
  if (exitOf() === undefined && records.every((r) => r.error !== null) && records.length > 0) {
    await Promise.race([engine.exited, new Promise((r) => setTimeout(r, 1000))]);
  }
  const exit = exitOf();
  // The window is where its schedule put it: the first arrival is at its start (preparing the load
  // may take a moment after startMs was read).
  const windowStartMs = records.length === 0 ? startMs : Math.min(...records.map((r) => r.scheduledAtMs));
  const windowEndMs = windowStartMs + window.durationMs;
  const samples = samplesWithin(allSamples, windowStartMs, windowEndMs);
  const summary = summarizeWindow({
    records,
    samples,
    startMs: windowStartMs,
    endMs: windowEndMs,
    unit: 'requests/s',
    oomKilled: exit?.oomKilled ?? false,
  });
  const measurement: WindowMeasurement = exit && !exit.oomKilled ? { ...summary, errorRatio: 1 } : summary;
  const judged = judgeWindow(measurement, request.policy);
  return {
    index: 0,
    kind: window.kind,
    rate: window.rate,
    why: window.why,
    measurement,
    outputTokensPerS: summary.outputTokensPerS,
    verdict: judged.verdict,
    good: judged.good,
    reasons: exit && !exit.oomKilled ? [...judged.reasons, `engine exited: ${exit.reason}`] : judged.reasons,
  };
}

/** The host's drift is read from at most this many of the latest earlier calibrations: an old host state says little. */
const EARLIER_CALIBRATIONS = 10;

/** A stats reading covers about the second before it; one that arrives later than this after the window ends is from the drain. */
const SAMPLE_SPAN_MS = 1000;

/**
 * The readings taken while arrivals were offered: those whose covered second is mostly inside
 * [startMs, endMs] (its midpoint, atMs − span/2, in the window). The drain after the window, where
 * CPU falls as the last requests finish, is left out. All of them when none qualifies.
 */
export function samplesWithin(samples: readonly ContainerSample[], startMs: number, endMs: number): ContainerSample[] {
  const inside = samples.filter((s) => s.atMs - SAMPLE_SPAN_MS / 2 >= startMs && s.atMs - SAMPLE_SPAN_MS / 2 <= endMs);
  return inside.length > 0 ? inside : [...samples];
}

function buildResult(
  request: CalibrationRequest,
  final: WindowPlan,
  windows: readonly CalibrationWindowReport[],
  host: HostResponsiveness | undefined,
  earlierEstimates: readonly number[],
): CalibrationResult {
  const done = final.action === 'done' ? final : undefined;
  const atRate = done ? windows.filter((w) => w.rate === done.rate) : [];
  const tokens = atRate.at(-1)?.outputTokensPerS;
  const estimate = estimateRate(windows, request.policy);
  const reached = estimate.status === 'estimated' ? estimate.relativeHalfWidth : undefined;
  const drift = measureHostDrift(earlierEstimates.slice(0, EARLIER_CALIBRATIONS));
  const across = estimate.status === 'estimated' && drift ? acrossRuns(estimate, drift) : undefined;
  return {
    runId: request.engine.runId,
    engine: request.engine.engine,
    mode: request.engine.mode,
    model: request.modelLabel,
    limits: request.engine.limits,
    rateKey: rateKey(request.engine.engine, request.engine.limits),
    unit: 'requests/s',
    objective: request.policy.objective,
    cpuBand: request.policy.cpuBand,
    slo: request.policy.slo,
    outcome: done ? 'calibrated' : 'failed',
    rate: done?.rate,
    tokensPerS: tokens,
    held: done?.held,
    reason: final.reason,
    estimate,
    ...(across ? { acrossRuns: across } : {}),
    earlierCalibrations: earlierEstimates.length,
    precision: { asked: request.policy.precision, reached },
    windows,
    host,
    calibratedAt: new Date().toISOString(),
  };
}

/** Writes calibration.json (everything) and calibration.md (the table and every step's reason). */
export async function writeCalibrationReport(resultDir: string, result: CalibrationResult): Promise<void> {
  await mkdir(resultDir, { recursive: true });
  await writeFile(join(resultDir, 'calibration.json'), `${JSON.stringify(result, null, 2)}\n`);
  const lines = [
    `# Calibration: ${result.rateKey}`,
    '',
    `- model: ${result.model}`,
    `- objective: ${result.objective}, CPU band ${result.cpuBand.low}–${result.cpuBand.high} % of the limit` +
      (result.slo ? `, SLO ${JSON.stringify(result.slo)}` : ''),
    `- outcome: **${result.outcome}**` +
      (result.rate === undefined
        ? ''
        : ` at ${result.rate.toFixed(3)} requests/s (${result.tokensPerS?.toFixed(1) ?? '?'} output tokens/s)` +
          (result.held === undefined ? '' : result.held ? ', soak held' : ', soak did not hold')),
    `- why: ${result.reason}`,
    `- interval: ${formatRateEstimate(result.estimate, result.precision.asked)}`,
    `- across runs: ${formatAcrossRuns(result.acrossRuns, result.earlierCalibrations)}`,
    ...(result.contexts ? [`- ${formatContextsResult(result.contexts)}`] : []),
    '',
    formatCalibrationTable(result, 'markdown'),
    '',
    '## Why each window',
    '',
    ...result.windows.map(
      (w) => `${w.index}. ${w.kind} at ${w.rate.toFixed(3)} req/s — ${w.why} → ${w.verdict}: ${w.reasons.join('; ')}`,
    ),
    '',
    '## Host responsiveness during the run',
    '',
    result.host
      ? `kitt event-loop delay p99 ${result.host.eventLoopDelayP99Ms.toFixed(1)} ms (max ${result.host.eventLoopDelayMaxMs.toFixed(1)} ms); ` +
        `host timer probe lateness p99 ${fmt(result.host.probeDriftP99Ms)} ms (max ${fmt(result.host.probeDriftMaxMs)} ms, ${result.host.probeSamples} samples)`
      : 'not measured',
    '',
  ];
  await writeFile(join(resultDir, 'calibration.md'), lines.join('\n'));
}

function fmt(value: number | undefined, digits = 1): string {
  return value === undefined ? '–' : value.toFixed(digits);
}

/** The rate–CPU–latency table, one row per window, as aligned text or Markdown. */
export function formatCalibrationTable(result: CalibrationResult, style: 'text' | 'markdown' = 'text'): string {
  const header = [
    '#',
    'kind',
    'rate req/s',
    'achieved',
    'tok/s',
    'CPU %',
    'thr %',
    'mem',
    'TTFT p95',
    'TPOT p95',
    'verdict',
  ];
  const rows = result.windows.map((w) => {
    const m = w.measurement;
    return [
      String(w.index),
      w.kind,
      w.rate.toFixed(3),
      m.achievedRate.toFixed(3),
      w.outputTokensPerS.toFixed(1),
      fmt(m.cpuPercentOfLimit),
      fmt(m.throttledPercent),
      m.memoryPeakBytes === undefined ? '–' : formatBytes(m.memoryPeakBytes),
      m.ttftP95Ms === undefined ? '–' : `${m.ttftP95Ms.toFixed(0)} ms`,
      m.tpotP95Ms === undefined ? '–' : `${m.tpotP95Ms.toFixed(1)} ms`,
      w.verdict,
    ];
  });
  if (style === 'markdown') {
    return [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((c, i) => c.padStart(widths[i]!)).join('  ')).join('\n');
}
