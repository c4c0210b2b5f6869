import { estimateRate, formatPercent, formatRateEstimate } from './estimate-rate.js';
import {
  type JudgedWindow,
  judgeWindow,
  sloRatio,
  type VerdictPolicy,
  type WindowMeasurement,
} from './window-verdict.js';

/**
 * The calibration controller: given every window measured so far, decide the next one. Pure, so
 * the whole search is replayable from a report and testable on synthetic curves.
 *
 * 1. Grow. While no window was bad, the next rate extrapolates from the good ones to where the
 *    signal (CPU / band top, or the SLO ratio; see Signal) meets its aim: the secant through the
 *    two highest good points, or r · aim / signal(r) from one; factor within [1 + tol, maxGrowth].
 *    Without a signal, r' = 2·r.
 * 2. Back off. While every window was bad, r' = r / clamp(signal(r) / aim, 1 + tol, maxGrowth);
 *    a saturated window offers its achieved rate as the estimate of capacity.
 * 3. Bracket. With lo = the highest good rate below hi = the lowest bad rate, the next rate is the
 *    safeguarded regula falsi root of signal(r) = aim between them, kept within
 *    [lo + w/5, hi − w/5] (w = hi − lo), or the geometric mean when no signal crosses the target.
 *    Stop when hi / lo ≤ 1 + tol: lo is then within tol below the boundary.
 * 4. Confirm. A verdict within `confirmMargin` of its threshold is measured once more at the same
 *    rate; windows at one rate are averaged before judging, so noise near the boundary is halved.
 * 4b. Precision. With `precision`, a closed bracket is not the end while the 95 % interval of the
 *    band top's rate (estimateRate) is wider than asked: one more probe at the measured rate nearest
 *    the estimate when one lies within 5 % of it (windows at one rate are averaged, so its verdict
 *    firms up instead of a new single-window verdict moving the bracket), else at the estimate;
 *    without an interval yet, at lo. Until the interval is narrow enough or the budget is spent.
 * 5. Soak at lo. If it does not hold, soak once more, lower by aim / signal, or by the shortfall of
 *    achieved / offered below its threshold when the soak saturated (2.5–15 % lower), or at the
 *    next probe rate measured good (at least tol below) when that is a smaller step; after a second
 *    failure step at least 10 % down; the third failure (maxSoaks) fails calibration.
 *
 * The returned rate is always a rate whose averaged windows were good: it never exceeds what was
 * measured to keep CPU inside the band (or the SLO met).
 */
export interface CalibrationPolicy extends VerdictPolicy {
  /** First rate tried. */
  readonly startRate: number;
  /** Below this, give up. */
  readonly minRate: number;
  /** Never offer more than this. */
  readonly maxRate: number;
  /** Largest factor between consecutive rates while growing or backing off (default 4; 2 without a signal). */
  readonly maxGrowth?: number;
  /** The search stops when the lowest bad rate is within this fraction above the highest good one (default 0.025). */
  readonly tolerance?: number;
  /** Soak windows at most: each failed soak retries lower; default 3. */
  readonly maxSoaks?: number;
  /** Probe windows at most (soak windows not counted). */
  readonly maxWindows: number;
  /** Soak at the found rate before declaring it (default true). */
  readonly soak?: boolean;
  /** Verdicts whose margin is below this are confirmed by a second window (default 0.03). */
  readonly confirmMargin?: number;
  /**
   * Keep measuring until the 95 % interval's half-width relative to the estimated rate is at most
   * this (0.05 = ±5 %), or `maxWindows` is spent. Undefined: stop when the bracket closes.
   */
  readonly precision?: number;
}

export interface WindowRecord {
  readonly kind: 'probe' | 'soak';
  readonly rate: number;
  readonly measurement: WindowMeasurement;
}

export type WindowPlan =
  | { readonly action: 'try'; readonly rate: number; readonly reason: string }
  | { readonly action: 'soak'; readonly rate: number; readonly reason: string }
  | { readonly action: 'done'; readonly rate: number; readonly held: boolean | undefined; readonly reason: string }
  | { readonly action: 'fail'; readonly reason: string };

/** Windows at one rate, averaged, and the verdict on the average. */
export interface RatePoint {
  readonly rate: number;
  readonly windows: number;
  readonly measurement: WindowMeasurement;
  readonly judged: JudgedWindow;
}

export function planNextWindow(history: readonly WindowRecord[], policy: CalibrationPolicy): WindowPlan {
  const oom = history.find((w) => w.measurement.oomKilled);
  if (oom) return { action: 'fail', reason: `the engine was OOM-killed at ${fmtRate(oom.rate)}` };
  const soaks = history.filter((w) => w.kind === 'soak');
  if (soaks.length > 0) return planAfterSoak(soaks, history, policy);
  const probes = history.filter((w) => w.kind === 'probe');
  if (probes.length === 0) return { action: 'try', rate: policy.startRate, reason: 'first window at the start rate' };

  const points = aggregateByRate(probes, policy);
  const tol = policy.tolerance ?? 0.025;
  const budgetLeft = policy.maxWindows - probes.length;
  const latest = points.find((p) => p.rate === probes.at(-1)!.rate)!;
  if (latest.windows === 1 && latest.judged.margin < (policy.confirmMargin ?? 0.03) && budgetLeft >= 2) {
    const why = latest.judged.reasons.join('; ');
    return { action: 'try', rate: latest.rate, reason: `confirming a close call (${why})` };
  }

  const hi = points.find((p) => !p.judged.good);
  const lo = [...points].reverse().find((p) => p.judged.good && (hi === undefined || p.rate < hi.rate));
  if (lo === undefined) {
    const next = backOff(hi!, policy);
    if (next < policy.minRate) {
      return {
        action: 'fail',
        reason: `even ${fmtRate(hi!.rate)} is too much (${describe(hi!)}); minimum is ${policy.minRate}`,
      };
    }
    if (budgetLeft <= 0) return { action: 'fail', reason: `no good rate found in ${policy.maxWindows} windows` };
    return { action: 'try', rate: next, reason: `back off from ${fmtRate(hi!.rate)}: ${describe(hi!)}` };
  }
  if (hi === undefined) {
    if (lo.rate >= policy.maxRate) return finish(lo, policy, `reached the maximum rate ${policy.maxRate}`);
    if (budgetLeft <= 0) return finish(lo, policy, `window budget spent before any bad window`);
    const next = Math.min(policy.maxRate, lo.rate * growth(points.slice(0, points.indexOf(lo) + 1), policy));
    return { action: 'try', rate: next, reason: `grow from ${fmtRate(lo.rate)}: ${describe(lo)}` };
  }
  const bracket = `[${fmtRate(lo.rate)}, ${fmtRate(hi.rate)}]`;
  if (hi.rate / lo.rate <= 1 + tol) {
    const why = `bracket ${bracket} within ±${(tol * 100).toFixed(1)} %; ${describe(hi)} above`;
    return refineOrFinish(probes, points, lo, policy, why);
  }
  if (budgetLeft <= 0) return finish(lo, policy, `window budget spent; bracket ${bracket}`);
  const next = interpolate(lo, hi, policy);
  return { action: 'try', rate: next.rate, reason: `narrow ${bracket} by ${next.how}: ${describe(hi)} at the top` };
}

function planAfterSoak(
  soaks: readonly WindowRecord[],
  history: readonly WindowRecord[],
  policy: CalibrationPolicy,
): WindowPlan {
  const last = soaks.at(-1)!;
  const judged = judgeWindow(last.measurement, policy);
  const what = judged.reasons.join('; ');
  if (judged.good)
    return { action: 'done', rate: last.rate, held: true, reason: `soak held at ${fmtRate(last.rate)}: ${what}` };
  if (soaks.length >= (policy.maxSoaks ?? 3))
    return { action: 'fail', reason: `soak did not hold at ${fmtRate(last.rate)} either: ${what}` };
  const point: RatePoint = { rate: last.rate, windows: 1, measurement: last.measurement, judged };
  const signal = signalOf(point, policy);
  let factor = signal === undefined ? 0.9 : clamp(signal.aim / signal.value, 0.85, 0.975);
  const m = last.measurement;
  if (judged.verdict === 'saturated' && m.offeredRate > 0 && m.achievedRate > 0) {
    // A saturated soak measured what the engine sustains: offer what keeps achieved / offered
    // above its threshold again, with the same 2.5 % step as margin.
    const ratio = m.achievedRate / m.offeredRate / (policy.minAchievedRatio ?? 0.95);
    factor = Math.min(factor, clamp(ratio * 0.975, 0.85, 0.975));
  }
  // A probe measured good just below is better evidence than the predicted step: take whichever
  // is the smaller step down.
  const probes = aggregateByRate(
    history.filter((w) => w.kind === 'probe'),
    policy,
  );
  const tol = policy.tolerance ?? 0.025;
  const goodBelow = probes.filter((p) => p.judged.good && p.rate <= last.rate * (1 - tol)).at(-1)?.rate;
  // After a second failure the evidence near the boundary is not to be trusted (the host drifted):
  // step at least 10 % down, ignoring probes that may have been measured on a quieter machine.
  if (soaks.length >= 2) factor = Math.min(factor, 0.9);
  const lower = soaks.length >= 2 ? last.rate * factor : Math.max(last.rate * factor, goodBelow ?? 0);
  if (lower < policy.minRate) return { action: 'fail', reason: `soak did not hold at ${fmtRate(last.rate)}: ${what}` };
  const step = `${((1 - lower / last.rate) * 100).toFixed(1)} % lower`;
  const how = lower === goodBelow ? `, at the next rate measured good` : '';
  return {
    action: 'soak',
    rate: lower,
    reason: `soak did not hold at ${fmtRate(last.rate)} (${what}); soak ${step}${how}`,
  };
}

/**
 * Rule 4b: with `precision` asked, measure near the estimate until its interval is that narrow or
 * the budget is spent; then finish as rule 5 does.
 */
function refineOrFinish(
  probes: readonly WindowRecord[],
  points: readonly RatePoint[],
  lo: RatePoint,
  policy: CalibrationPolicy,
  why: string,
): WindowPlan {
  const asked = policy.precision;
  if (asked === undefined) return finish(lo, policy, why);
  const estimate = estimateRate(probes, policy);
  const wanted = `±${formatPercent(asked)}`;
  if (estimate.status === 'estimated' && estimate.relativeHalfWidth <= asked) {
    return finish(lo, policy, `${why}; ${formatRateEstimate(estimate, undefined, '')} within ${wanted}`);
  }
  // saturation bounds the rate before CPU does: there is no CPU knee to pin down
  if (estimate.status === 'unavailable' && estimate.rate !== undefined) {
    return finish(lo, policy, `${why}; ${estimate.reason}`);
  }
  const reached = estimate.status === 'estimated' ? `±${formatPercent(estimate.relativeHalfWidth)}` : estimate.reason;
  if (probes.length >= policy.maxWindows) {
    return finish(lo, policy, `${why}; window budget spent at ${reached} (asked ${wanted})`);
  }
  if (estimate.status === 'unavailable') {
    return {
      action: 'try',
      rate: lo.rate,
      reason: `no interval yet (${reached}): one more window at ${fmtRate(lo.rate)}`,
    };
  }
  const nearest = points.reduce((a, b) =>
    Math.abs(Math.log(b.rate / estimate.rate)) < Math.abs(Math.log(a.rate / estimate.rate)) ? b : a,
  );
  const repeat = Math.abs(nearest.rate / estimate.rate - 1) <= 0.05;
  const rate = repeat ? nearest.rate : clamp(estimate.rate, policy.minRate, policy.maxRate);
  const where = repeat ? `at ${fmtRate(rate)}, the measured rate nearest the estimate` : 'at the estimate';
  return {
    action: 'try',
    rate,
    reason: `${formatRateEstimate(estimate, undefined, '')} is wider than ${wanted}: one more window ${where}`,
  };
}

function finish(lo: RatePoint, policy: CalibrationPolicy, why: string): WindowPlan {
  if (policy.soak === false)
    return { action: 'done', rate: lo.rate, held: undefined, reason: `${fmtRate(lo.rate)}: ${why}` };
  return { action: 'soak', rate: lo.rate, reason: `soak at ${fmtRate(lo.rate)}: ${why}` };
}

/** Groups probe windows by exact rate, averages their numbers, judges the average; sorted by rate. */
export function aggregateByRate(probes: readonly WindowRecord[], policy: VerdictPolicy): RatePoint[] {
  const byRate = new Map<number, WindowMeasurement[]>();
  for (const w of probes) byRate.set(w.rate, [...(byRate.get(w.rate) ?? []), w.measurement]);
  return [...byRate.entries()]
    .sort(([a], [b]) => a - b)
    .map(([rate, list]) => {
      const measurement = averageMeasurements(list);
      return { rate, windows: list.length, measurement, judged: judgeWindow(measurement, policy) };
    });
}

function averageMeasurements(list: readonly WindowMeasurement[]): WindowMeasurement {
  if (list.length === 1) return list[0]!;
  const mean = (key: keyof WindowMeasurement): number | undefined => {
    const values = list.map((m) => m[key]).filter((v): v is number => typeof v === 'number');
    return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length;
  };
  const keys = Object.keys(list[0]!).filter((k) => k !== 'oomKilled') as Array<keyof WindowMeasurement>;
  const averaged: Record<string, unknown> = Object.fromEntries(keys.map((k) => [k, mean(k)]));
  averaged.oomKilled = list.some((m) => m.oomKilled);
  averaged.requests = list.reduce((a, m) => a + m.requests, 0);
  return averaged as unknown as WindowMeasurement;
}

/**
 * The signal the objective steers by, normalised so 1 is the limit: CPU / band top, or the SLO
 * ratio. `aim` is where the controller steers (a quarter band below the top: CPU 87.5 % for an
 * 80–90 % band; 95 % of the SLO), so interpolated probes land inside the band with room for noise.
 */
interface Signal {
  readonly value: number;
  readonly aim: number;
}

function signalOf(point: RatePoint, policy: CalibrationPolicy): Signal | undefined {
  const cpu = point.measurement.cpuPercentOfLimit;
  const ratio = sloRatio(point.measurement, policy.slo);
  const sloSignal = ratio === undefined ? undefined : { value: ratio, aim: 0.95 };
  if (policy.objective === 'slo') return sloSignal;
  const { low, high } = policy.cpuBand;
  const cpuSignal =
    cpu === undefined || cpu <= 0 ? undefined : { value: cpu / high, aim: (high - (high - low) / 4) / high };
  if (policy.objective === 'cpu' || sloSignal === undefined) return cpuSignal;
  // both: steer by whichever is closer to its limit
  return cpuSignal === undefined || sloSignal.value > cpuSignal.value ? sloSignal : cpuSignal;
}

/**
 * The factor to grow by from the highest good point. The secant through the two highest good
 * points predicts where the signal meets the aim (proportional to the origin when there is one
 * point); when the previous step was a small one that stayed good, the increment at least doubles
 * (an exponential hunt), so a flat, concave CPU curve is not crept along in minimum steps.
 */
function growth(points: readonly RatePoint[], policy: CalibrationPolicy): number {
  const tol = policy.tolerance ?? 0.025;
  const maxStep = policy.maxGrowth ?? 4;
  const good = points.filter((p) => p.judged.good);
  const top = good.at(-1)!;
  const previous = good.at(-2);
  const signal = signalOf(top, policy);
  let step = 2;
  if (signal !== undefined) {
    step = signal.value >= signal.aim ? 1 + tol : signal.aim / signal.value;
    const before = previous && signalOf(previous, policy);
    if (previous && before && signal.value > before.value && signal.value < signal.aim) {
      const slope = (signal.value - before.value) / (top.rate - previous.rate);
      step = (top.rate + (signal.aim - signal.value) / slope) / top.rate;
    }
  }
  if (previous && top.rate / previous.rate < 1.2) step = Math.max(step, 1 + 2 * (top.rate / previous.rate - 1));
  return clamp(step, 1 + tol, maxStep);
}

function backOff(point: RatePoint, policy: CalibrationPolicy): number {
  const minStep = 1 + (policy.tolerance ?? 0.025);
  const maxStep = policy.maxGrowth ?? 4;
  const m = point.measurement;
  if (point.judged.verdict === 'saturated' && m.achievedRate > 0) {
    // The achieved rate under saturation estimates capacity; aim a little below it.
    return point.rate / clamp(point.rate / (m.achievedRate * 0.9), minStep, maxStep);
  }
  const signal = signalOf(point, policy);
  if (signal === undefined) return point.rate / 2;
  return point.rate / clamp(signal.value / signal.aim, minStep, maxStep);
}

function interpolate(lo: RatePoint, hi: RatePoint, policy: CalibrationPolicy): { rate: number; how: string } {
  const width = hi.rate - lo.rate;
  const floor = Math.max(lo.rate + width / 5, lo.rate * (1 + (policy.tolerance ?? 0.025) / 2));
  const ceiling = hi.rate - width / 5;
  const a = signalOf(lo, policy);
  const b = signalOf(hi, policy);
  if (a && b && a.value < a.aim && b.value > a.aim) {
    // regula falsi: the rate where the signal, linear between lo and hi, meets the aim
    const root = lo.rate + ((a.aim - a.value) / (b.value - a.value)) * width;
    return { rate: clamp(root, Math.min(floor, ceiling), ceiling), how: 'interpolation' };
  }
  if (hi.judged.verdict === 'saturated' && hi.measurement.achievedRate > lo.rate) {
    return { rate: clamp(hi.measurement.achievedRate * 0.97, Math.min(floor, ceiling), ceiling), how: 'achieved rate' };
  }
  return { rate: clamp(Math.sqrt(lo.rate * hi.rate), Math.min(floor, ceiling), ceiling), how: 'bisection' };
}

function describe(point: RatePoint): string {
  const windows = point.windows > 1 ? ` (mean of ${point.windows})` : '';
  return `${point.judged.verdict}${windows}, ${point.judged.reasons.join('; ')}`;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

function fmtRate(rate: number): string {
  return rate >= 10 ? rate.toFixed(1) : rate.toPrecision(3);
}
