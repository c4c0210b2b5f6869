import type { RunMetrics } from './summarize-run.js';

export const REPEATS_SCHEMA = 'kitt.repeats.v1';

/** Confidence of the interval of the mean reported across repeats. */
export const REPEAT_CONFIDENCE = 0.95;

/** One metric across the repeats of a series. */
export interface RepeatStatistic {
  readonly label: string;
  readonly unit: string;
  /** One value per repeat that measured it (a repeat with no value, e.g. no TTFT, is left out). */
  readonly values: readonly number[];
  readonly n: number;
  readonly mean: number | null;
  /** Sample standard deviation (n − 1 in the denominator); null below two values. */
  readonly sd: number | null;
  /** sd / |mean|; null without an sd or with a mean of 0. */
  readonly cv: number | null;
  /**
   * The 95 % Student-t interval of the mean, mean ± t(0.975, n − 1) · sd / √n; null below two
   * values, where the spread, and with it the interval, is unknown. Its low end is clipped at the
   * least value the metric can take (0 for every headline metric), and `clipped` says it was.
   */
  readonly interval: RepeatInterval | null;
}

export interface RepeatInterval {
  readonly low: number;
  readonly high: number;
  readonly t: number;
  /**
   * True when mean − t · sd / √n fell below the metric's floor and `low` is the floor instead.
   * The true mean lies at or above the floor, so the clipped interval covers it whenever the
   * unclipped one did (same confidence); the clip is a sign that n is small for that spread.
   */
  readonly clipped: boolean;
}

/** The headline figures a series compares across its repeats, in display order. */
export const REPEAT_METRICS: ReadonlyArray<{
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  readonly of: (metrics: RunMetrics) => number | null | undefined;
}> = [
  { key: 'requestsPerS', label: 'throughput', unit: 'req/s', of: (m) => m.throughput.requestsPerS },
  { key: 'outputTokensPerS', label: 'output', unit: 'tok/s', of: (m) => m.throughput.outputTokensPerS },
  ...(['ttftMs', 'tpotMs', 'itlMs', 'e2eMs'] as const).flatMap((name) =>
    (['p50', 'p90', 'p99'] as const).map((p) => ({
      key: `${name}.${p}`,
      label: `${name.replace(/Ms$/, '').toUpperCase()} ${p}`,
      unit: 'ms',
      of: (m: RunMetrics) => m[name][p],
    })),
  ),
  { key: 'goodputRequestsPerS', label: 'goodput', unit: 'req/s', of: (m) => m.slo?.goodputRequestsPerS },
];

/**
 * Statistics of one metric over its values (pure). `floor` is the least value the metric can take:
 * every headline figure is a duration or a rate, so 0 unless told otherwise.
 */
export function repeatStatistic(label: string, unit: string, values: readonly number[], floor = 0): RepeatStatistic {
  const n = values.length;
  const mean = n > 0 ? values.reduce((a, b) => a + b, 0) / n : null;
  const sd = mean !== null && n >= 2 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : null;
  const cv = sd !== null && mean !== null && mean !== 0 ? sd / Math.abs(mean) : null;
  let interval: RepeatStatistic['interval'] = null;
  if (mean !== null && sd !== null) {
    const t = studentTQuantile(1 - (1 - REPEAT_CONFIDENCE) / 2, n - 1);
    const half = (t * sd) / Math.sqrt(n);
    const low = mean - half;
    interval = { low: Math.max(low, floor), high: mean + half, t, clipped: low < floor };
  }
  return { label, unit, values, n, mean, sd, cv, interval };
}

/** Every headline metric across the runs of a series; metrics no repeat measured (goodput without an SLO) are left out. */
export function summarizeRepeats(runs: readonly RunMetrics[]): Record<string, RepeatStatistic> {
  const result: Record<string, RepeatStatistic> = {};
  for (const metric of REPEAT_METRICS) {
    const values = runs.map(metric.of).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    if (values.length === 0) continue;
    result[metric.key] = repeatStatistic(metric.label, metric.unit, values);
  }
  return result;
}

/**
 * The p-quantile of Student's t distribution with `df` degrees of freedom, by bisection on its CDF
 * (the CDF through the regularized incomplete beta function, NIST/SEMATECH e-Handbook 1.3.6.6.4).
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) throw new RangeError(`no t quantile for p=${p}, df=${df}`);
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let low = 0;
  let high = 1;
  while (studentTCdf(high, df) < p) high *= 2;
  for (let i = 0; i < 200 && high - low > 1e-12 * high; i++) {
    const mid = (low + high) / 2;
    if (studentTCdf(mid, df) < p) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom: 1 − I_x(df/2, 1/2) / 2 with x = df / (df + t²), for t ≥ 0. */
export function studentTCdf(t: number, df: number): number {
  const tail = regularizedBeta(df / (df + t * t), df / 2, 0.5) / 2;
  return t >= 0 ? 1 - tail : tail;
}

/** I_x(a, b), by its continued fraction (modified Lentz), using the symmetry where it converges slowly. */
function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  if (x < (a + 1) / (a + b + 2)) return (front * betaFraction(x, a, b)) / a;
  return 1 - (front * betaFraction(1 - x, b, a)) / b;
}

function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    for (const step of [
      (m * (b - m) * x) / ((a + m2 - 1) * (a + m2)),
      (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1)),
    ]) {
      d = 1 + step * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + step / c;
      if (Math.abs(c) < tiny) c = tiny;
      h *= d * c;
    }
    if (Math.abs(d * c - 1) < 1e-15) break;
  }
  return h;
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9). */
function logGamma(x: number): number {
  const g = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = g[0]!;
  for (let i = 1; i < 9; i++) sum += g[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}
