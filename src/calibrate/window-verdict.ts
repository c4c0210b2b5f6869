/**
 * What one measurement window says about the rate it offered. Pure: the calibration use case
 * measures, this module judges, `planNextWindow` decides.
 */

/** What calibration optimises: CPU inside the band, the latency SLO, or both at once. */
export type CalibrationObjective = 'cpu' | 'slo' | 'both';

/** The unit the controller's rates are in. */
export type RateUnit = 'requests/s' | 'tokens/s';

export type WindowVerdict =
  | 'under-band' // CPU below the band: room to go faster
  | 'in-band' // CPU inside the band: a rate worth keeping
  | 'over-band' // CPU above the band
  | 'slo-violated' // a latency percentile over its SLO
  | 'saturated' // throughput stopped following the offered rate, or a queue/latency grows
  | 'oom' // the engine was OOM-killed: no rate fixes a memory limit
  | 'error-rate'; // too many failed requests

/** One window's numbers, as the use case measured them. Optional fields are unknown, not zero. */
export interface WindowMeasurement {
  /** Rate offered by the schedule, in the policy's unit. */
  readonly offeredRate: number;
  /** Rate actually completed, same unit. */
  readonly achievedRate: number;
  /** Mean container CPU over the window, in percent of the CPU limit (100 = the limit fully used). */
  readonly cpuPercentOfLimit?: number;
  /** Share of CFS periods throttled, percent. Reported, not judged: throttling is expected near the limit. */
  readonly throttledPercent?: number;
  readonly memoryPeakBytes?: number;
  readonly ttftP95Ms?: number;
  readonly ttftP99Ms?: number;
  readonly tpotP95Ms?: number;
  readonly tpotP99Ms?: number;
  /** Slope of schedule-relative latency (first token - scheduled) against scheduled time, ms per s. */
  readonly latencySlopeMsPerS?: number;
  /** Engine queue gauge (llama.cpp requests_deferred, vLLM num_requests_waiting): last minus first sample. */
  readonly queueGrowth?: number;
  /** Failed requests / requests, 0..1. */
  readonly errorRatio: number;
  readonly requests: number;
  readonly oomKilled: boolean;
}

export interface LatencySlo {
  readonly ttftP95Ms?: number;
  readonly tpotP95Ms?: number;
  readonly ttftP99Ms?: number;
  readonly tpotP99Ms?: number;
}

export interface VerdictPolicy {
  readonly objective: CalibrationObjective;
  /** CPU band in percent of the limit, e.g. { low: 80, high: 90 }. */
  readonly cpuBand: { readonly low: number; readonly high: number };
  readonly slo?: LatencySlo;
  /** achieved / offered below this counts as saturation (default 0.95). */
  readonly minAchievedRatio?: number;
  /** Schedule-relative latency growing faster than this (ms per s of window) counts as saturation (default 50). */
  readonly maxLatencySlopeMsPerS?: number;
  /** Queue gauge growing by more than this over a window counts as saturation (default 2). */
  readonly maxQueueGrowth?: number;
  /** Error ratio above this fails the window (default 0.02). */
  readonly maxErrorRatio?: number;
}

export interface JudgedWindow {
  readonly verdict: WindowVerdict;
  /** True when the verdict allows keeping the rate under the objective. */
  readonly good: boolean;
  /** Why, in words a person reads in the report ("CPU 93.1 % > 90 %"). */
  readonly reasons: readonly string[];
  /**
   * How far the deciding signal is from its threshold, relative (0.02 = 2 % away). Small margins
   * mark verdicts that noise could flip; the controller confirms them before trusting them.
   */
  readonly margin: number;
}

const SLO_KEYS = ['ttftP95Ms', 'tpotP95Ms', 'ttftP99Ms', 'tpotP99Ms'] as const;

/** Largest measured/limit ratio over the SLO's percentiles (1.0 = exactly at the SLO), or undefined. */
export function sloRatio(measurement: WindowMeasurement, slo: LatencySlo | undefined): number | undefined {
  let worst: number | undefined;
  for (const key of SLO_KEYS) {
    const limit = slo?.[key];
    const value = measurement[key];
    if (limit === undefined || value === undefined) continue;
    worst = Math.max(worst ?? 0, value / limit);
  }
  return worst;
}

/**
 * Judges a window. Precedence: oom > error-rate > saturated > slo-violated > CPU band, so the
 * verdict always names the most fundamental problem. Under objective `cpu` the SLO is not judged;
 * under `slo` the CPU band is reported but `over-band` is still good.
 */
export function judgeWindow(m: WindowMeasurement, policy: VerdictPolicy): JudgedWindow {
  const fmt = (n: number) => n.toFixed(1);
  if (m.oomKilled) return { verdict: 'oom', good: false, reasons: ['the engine was OOM-killed'], margin: 1 };
  const maxErrors = policy.maxErrorRatio ?? 0.02;
  if (m.errorRatio > maxErrors) {
    const reason = `${fmt(m.errorRatio * 100)} % of requests failed (> ${fmt(maxErrors * 100)} %)`;
    return { verdict: 'error-rate', good: false, reasons: [reason], margin: 1 };
  }
  const saturation = saturationReasons(m, policy);
  if (saturation.reasons.length > 0) {
    return { verdict: 'saturated', good: false, reasons: saturation.reasons, margin: saturation.margin };
  }
  const reasons: string[] = [];
  let margin = saturation.margin;
  const ratio = sloRatio(m, policy.slo);
  if (policy.objective !== 'cpu' && ratio !== undefined) {
    if (ratio > 1)
      return { verdict: 'slo-violated', good: false, reasons: [sloReason(m, policy.slo!)], margin: ratio - 1 };
    margin = Math.min(margin, 1 - ratio);
    reasons.push(`latency at ${fmt(ratio * 100)} % of the SLO`);
  }
  const cpu = m.cpuPercentOfLimit;
  const { low, high } = policy.cpuBand;
  if (cpu === undefined) {
    reasons.push('CPU not measured');
    return { verdict: 'in-band', good: policy.objective === 'slo', reasons, margin };
  }
  const cpuGood = policy.objective === 'slo';
  if (cpu > high) {
    margin = policy.objective === 'slo' ? margin : (cpu - high) / high;
    return { verdict: 'over-band', good: cpuGood, reasons: [...reasons, `CPU ${fmt(cpu)} % > ${high} %`], margin };
  }
  if (policy.objective !== 'slo') margin = Math.min(margin, (high - cpu) / high);
  const verdict = cpu < low ? 'under-band' : 'in-band';
  const cpuReason = cpu < low ? `CPU ${fmt(cpu)} % < ${low} %` : `CPU ${fmt(cpu)} % in ${low}–${high} %`;
  return { verdict, good: true, reasons: [...reasons, cpuReason], margin };
}

/**
 * Saturation signals. `margin` is, when saturated, the largest distance past a triggered threshold
 * (any one suffices); otherwise the smallest distance below any threshold.
 */
function saturationReasons(m: WindowMeasurement, policy: VerdictPolicy): { reasons: string[]; margin: number } {
  const reasons: string[] = [];
  const past: number[] = [];
  const below: number[] = [];
  const check = (over: boolean, distance: number, reason: string) => {
    if (over) {
      reasons.push(reason);
      past.push(distance);
    } else {
      below.push(distance);
    }
  };
  const minRatio = policy.minAchievedRatio ?? 0.95;
  const achievedRatio = m.offeredRate > 0 ? m.achievedRate / m.offeredRate : 1;
  const ratioText = `achieved ${(achievedRatio * 100).toFixed(1)} % of the offered rate (< ${minRatio * 100} %)`;
  check(achievedRatio < minRatio, Math.abs(achievedRatio - minRatio) / minRatio, ratioText);
  const maxSlope = policy.maxLatencySlopeMsPerS ?? 50;
  if (m.latencySlopeMsPerS !== undefined) {
    const slopeText = `latency grows ${m.latencySlopeMsPerS.toFixed(0)} ms per s (> ${maxSlope})`;
    check(m.latencySlopeMsPerS > maxSlope, Math.abs(m.latencySlopeMsPerS - maxSlope) / maxSlope, slopeText);
  }
  const maxQueue = policy.maxQueueGrowth ?? 2;
  if (m.queueGrowth !== undefined && m.queueGrowth > maxQueue) {
    check(true, 1, `engine queue grew by ${m.queueGrowth} (> ${maxQueue})`);
  }
  const margin = past.length > 0 ? Math.max(...past) : Math.min(...below);
  return { reasons, margin };
}

function sloReason(m: WindowMeasurement, slo: LatencySlo): string {
  const broken = SLO_KEYS.filter((key) => slo[key] !== undefined && (m[key] ?? 0) > slo[key]!);
  return broken.map((key) => `${key.replace('Ms', '')} ${m[key]!.toFixed(0)} ms > ${slo[key]} ms`).join(', ');
}
