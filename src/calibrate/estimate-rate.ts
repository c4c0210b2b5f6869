import type { WindowRecord } from './plan-next-window.js';
import { judgeWindow, type VerdictPolicy } from './window-verdict.js';

/**
 * The rate at which the container's mean CPU reaches the band's top, estimated from the probe
 * windows below saturation, with a 95 % confidence interval. Pure: the same windows give the same interval,
 * so a report can be checked by hand.
 *
 * Model: CPU % = a + b · served rate + ε: the CPU a window spends is for the requests it served
 * (achieved rate; equal to the offered rate, within noise, until saturation), and idle CPU is a. The
 * spread of ε is proportional to the level (one window's CPU moves by a share of itself, 8–17 % on
 * a shared host), so the fit is weighted least squares with weights wᵢ = 1 / xᵢ² (Draper & Smith,
 * Applied Regression Analysis, 3rd ed., §9.2).
 *
 * Target: the band's top, y₀ = cpuBand.high. Calibration's rate is "the highest rate that keeps
 * CPU inside the band"; the boundary of that is where the mean CPU meets the top. The exhaustive
 * sweep's knee (highest good rate below the lowest bad one) is the same quantity, so the two can be
 * compared; the band's middle would sit (high − mid) / high below it (5.6 % for 80–90 %) by
 * construction.
 *
 * Inverse prediction (Fieller 1954; Draper & Smith §3.2, without the 1/m term since y₀ is a target,
 * not an observation): x̂₀ = x̄ + (y₀ − ȳ) / b, and the 95 % limits are the x₀ where
 *   |ȳ + b(x₀ − x̄) − y₀| = t · s · √(1/Σw + (x₀ − x̄)² / Sxx),
 * i.e. with d = (y₀ − ȳ) / b and g = t² s² / (b² Sxx),
 *   x₀ = x̄ + [d ± (t s / |b|) √(d² / Sxx + (1 − g) / Σw)] / (1 − g),
 * where x̄, ȳ are weighted means, Sxx = Σw(x − x̄)², s² = Σw e² / (n − 2) and t the Student-t
 * 0.975 quantile with n − 2 degrees of freedom. g < 1 means the slope differs from zero at this
 * level; otherwise the set is unbounded and no interval is given. As g → 0 this is the delta-method
 * interval x̂₀ ± t (s / |b|) √(1/Σw + d² / Sxx).
 *
 * Windows used: every probe window with CPU measured, not failing (error rate) nor OOM. Soaks are
 * left out: they are longer, so their noise is not the probes', and they test the chosen rate rather
 * than locate the boundary. Saturated windows stay in, at the rate they served: under a CPU quota
 * a window that asks for more than the limit reads 100 % at a served rate that keeps it on the
 * line. Leaving them out (fitting CPU on offered rate below saturation) drops exactly the windows
 * whose CPU came out high, and in simulation put the estimate 2.7 % high with 88 % coverage at
 * 10 % noise; so did keeping only the windows near the band, where the search puts few (the early,
 * low windows anchor the slope). A curve that bends before the limit makes the line overstate CPU
 * near the top, so the estimate errs low there.
 * When a window saturated while its CPU was under the top (slots or memory, not CPU, ran out) and
 * even the lower limit lies at or above its rate, saturation bounds the rate, and no interval is given.
 * Under objective `slo` the CPU band does not bind and no estimate is made; under `both` the
 * estimate is of the CPU band's top, which the SLO may undercut.
 * When even the lower limit lies at or above the lowest saturated rate, saturation, not CPU, bounds
 * the rate, and no interval is given.
 */
export type RateEstimate =
  | {
      readonly status: 'estimated';
      /** x̂₀: the rate at which the fitted mean CPU reaches `targetCpuPercent`. */
      readonly rate: number;
      /** Lower and upper 95 % limits (Fieller); not symmetric about `rate`. */
      readonly low: number;
      readonly high: number;
      /** (high − low) / 2 / rate: the precision reached, 0.05 = ±5 %. */
      readonly relativeHalfWidth: number;
      readonly confidence: 0.95;
      readonly targetCpuPercent: number;
      /** Probe windows in the fit. */
      readonly windows: number;
      /** CPU % = intercept + slope · rate; residualSd is s, for unit weight at rate 1. */
      readonly fit: {
        readonly intercept: number;
        readonly slope: number;
        readonly residualSd: number;
        readonly t: number;
      };
    }
  | {
      readonly status: 'unavailable';
      /** Why no interval: too few windows, CPU not rising with rate, saturation first. */
      readonly reason: string;
      readonly windows: number;
      /** The point estimate when there is one (an unbounded interval still has a centre). */
      readonly rate?: number;
    };

export interface Point {
  readonly x: number;
  readonly y: number;
  readonly w: number;
}

/** The Student-t 0.975 quantile for 1–30 degrees of freedom (from the inverse regularised incomplete beta). */
const T975 = [
  12.7062047362, 4.3026527297, 3.1824463053, 2.7764451052, 2.5705818356, 2.4469118511, 2.3646242516, 2.3060041352,
  2.2621571628, 2.228138852, 2.2009851601, 2.1788128297, 2.1603686565, 2.1447866879, 2.1314495456, 2.1199052992,
  2.1098155778, 2.1009220402, 2.0930240544, 2.0859634473, 2.0796138447, 2.0738730679, 2.0686576104, 2.0638985616,
  2.0595385528, 2.0555294386, 2.0518305165, 2.0484071418, 2.0452296421, 2.0422724563,
];

/**
 * t₀.₉₇₅ with `df` degrees of freedom: the table up to 30, beyond it the Cornish–Fisher expansion
 * about the normal quantile z = 1.95996 (Abramowitz & Stegun 26.7.5; within 1e-7 from df 30 on).
 */
export function studentT975(df: number): number {
  if (!(df >= 1)) throw new RangeError(`degrees of freedom must be at least 1, got ${df}`);
  if (df <= 30) return T975[Math.floor(df) - 1]!;
  const z = 1.959963984540054;
  const g1 = (z ** 3 + z) / 4;
  const g2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96;
  const g3 = (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384;
  const g4 = (79 * z ** 9 + 776 * z ** 7 + 1482 * z ** 5 - 1920 * z ** 3 - 945 * z) / 92160;
  return z + g1 / df + g2 / df ** 2 + g3 / df ** 3 + g4 / df ** 4;
}

/**
 * Weighted least squares of y on x, then the Fieller 95 % limits of the x where the line meets y₀
 * (formula above). Needs 3 points and spread in x.
 */
export function invertRegression(
  points: readonly Point[],
  target: number,
): Omit<Extract<RateEstimate, { status: 'estimated' }>, 'status' | 'confidence' | 'targetCpuPercent'> | string {
  const n = points.length;
  if (n < 3) return `${n} usable window${n === 1 ? '' : 's'}; a line with an interval needs 3`;
  const sw = points.reduce((a, p) => a + p.w, 0);
  const mx = points.reduce((a, p) => a + p.w * p.x, 0) / sw;
  const my = points.reduce((a, p) => a + p.w * p.y, 0) / sw;
  const sxx = points.reduce((a, p) => a + p.w * (p.x - mx) ** 2, 0);
  const sxy = points.reduce((a, p) => a + p.w * (p.x - mx) * (p.y - my), 0);
  if (!(sxx > 0)) return 'every usable window was at one rate';
  const b = sxy / sxx;
  if (!(b > 0)) return 'CPU did not rise with the rate';
  const a = my - b * mx;
  const s = Math.sqrt(points.reduce((acc, p) => acc + p.w * (p.y - a - b * p.x) ** 2, 0) / (n - 2));
  const t = studentT975(n - 2);
  const d = (target - my) / b;
  const g = (t * t * s * s) / (b * b * sxx);
  const fit = { intercept: a, slope: b, residualSd: s, t };
  if (g >= 1) return 'the slope is not significant at 95 %: the interval is unbounded';
  const spread = ((t * s) / b) * Math.sqrt((d * d) / sxx + (1 - g) / sw);
  const rate = mx + d;
  const low = mx + (d - spread) / (1 - g);
  const high = mx + (d + spread) / (1 - g);
  return { rate, low, high, relativeHalfWidth: (high - low) / 2 / rate, windows: n, fit };
}

/** The estimate of the band top's rate from a calibration's windows (which ones: see RateEstimate). */
export function estimateRate(history: readonly WindowRecord[], policy: VerdictPolicy): RateEstimate {
  const target = policy.cpuBand.high;
  if (policy.objective === 'slo') {
    return {
      status: 'unavailable',
      reason: 'objective slo: the interval is of the CPU band, which does not bind',
      windows: 0,
    };
  }
  const judged = judgeProbes(history, policy);
  const usable = fitPoints(judged);
  const fit = invertRegression(usable, target);
  if (typeof fit === 'string') return { status: 'unavailable', reason: fit, windows: usable.length };
  // saturated while CPU was still under the top: something else (slots, memory) bounds the rate
  const bound = judged
    .filter(({ w, verdict }) => verdict === 'saturated' && (w.measurement.cpuPercentOfLimit ?? 0) < target)
    .map(({ w }) => w.rate);
  const cap = Math.min(Number.POSITIVE_INFINITY, ...bound);
  if (fit.low >= cap) {
    const reason = `saturation at ${cap.toPrecision(3)} comes before CPU reaches ${target} % (fitted at ${fit.rate.toPrecision(3)})`;
    return { status: 'unavailable', reason, windows: fit.windows, rate: fit.rate };
  }
  return { status: 'estimated', ...fit, confidence: 0.95, targetCpuPercent: target };
}

type JudgedProbe = { readonly w: WindowRecord; readonly verdict: ReturnType<typeof judgeWindow>['verdict'] };

function judgeProbes(history: readonly WindowRecord[], policy: VerdictPolicy): JudgedProbe[] {
  return history
    .filter((w) => w.kind === 'probe' && !w.measurement.oomKilled)
    .map((w) => ({ w, verdict: judgeWindow(w.measurement, policy).verdict }));
}

function fitPoints(judged: readonly JudgedProbe[]): Point[] {
  return judged
    .filter(({ w, verdict }) => verdict !== 'error-rate' && w.measurement.cpuPercentOfLimit !== undefined)
    .filter(({ w }) => w.measurement.achievedRate > 0)
    .map(({ w }) => {
      const served = w.measurement.achievedRate;
      return { x: served, y: w.measurement.cpuPercentOfLimit!, w: 1 / served ** 2 };
    });
}

/**
 * The points estimateRate fits, (served rate, CPU %, weight 1 / served²), for a bench that refits
 * the same windows another way.
 */
export function rateFitPoints(history: readonly WindowRecord[], policy: VerdictPolicy): Point[] {
  return fitPoints(judgeProbes(history, policy));
}

/**
 * One line a person reads: "CPU reaches 90 % at 7.33 req/s (95 % interval 6.53–8.55, ±13.8 %,
 * 6 windows)", with "; asked ±5.0 %" when a precision was asked; or why there is no interval.
 */
export function formatRateEstimate(estimate: RateEstimate, asked?: number, unit = 'req/s'): string {
  const wanted = asked === undefined ? '' : `; asked ±${formatPercent(asked)}`;
  if (estimate.status === 'unavailable') return `no interval: ${estimate.reason}${wanted}`;
  const rate = (r: number) => (r >= 10 ? r.toFixed(1) : r.toPrecision(3));
  return (
    `CPU reaches ${estimate.targetCpuPercent} % at ${rate(estimate.rate)}${unit ? ` ${unit}` : ''} ` +
    `(95 % interval ${rate(estimate.low)}–${rate(estimate.high)}, ±${formatPercent(estimate.relativeHalfWidth)}, ` +
    `${estimate.windows} windows${wanted})`
  );
}

/** 0.0512 → "5.1 %". */
export function formatPercent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)} %`;
}
