/**
 * Compares two series of repeats with the run as the unit: each repeat contributes one value per
 * metric (its own p50, its throughput), so the spread that decides is the spread between runs,
 * which carries the host's drift that requests within one run share.
 */
import { COMPARE_METRICS, type CompareMetric, judgeChange, type Verdict } from './compare-runs.js';
import { type RepeatStatistic, studentTCdf, studentTQuantile } from './summarize-repeats.js';

/** Welch's t-test of two means and the interval of their difference (unequal variances). */
export interface WelchTest {
  /** candidate mean − baseline mean. */
  readonly difference: number;
  readonly standardError: number;
  /** Welch–Satterthwaite degrees of freedom (not a whole number in general). */
  readonly df: number;
  readonly t: number;
  /** Two-sided. */
  readonly p: number;
  /** The (1 − alpha) interval of the difference, difference ± t(1 − alpha/2, df) · standard error. */
  readonly low: number;
  readonly high: number;
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const variance = (values: readonly number[], m: number) =>
  values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1);

/**
 * Welch (1947): se² = s₁²/n₁ + s₂²/n₂, df = se⁴ / ((s₁²/n₁)²/(n₁ − 1) + (s₂²/n₂)²/(n₂ − 1)),
 * t = (x̄₂ − x̄₁)/se, p = 2 · (1 − F_t(|t|; df)); NIST/SEMATECH e-Handbook §1.3.5.3. Needs two values
 * a side. Both sides without spread: the difference is exact, p is 1 when it is 0 and 0 otherwise.
 */
export function welchTest(baseline: readonly number[], candidate: readonly number[], alpha: number): WelchTest {
  if (baseline.length < 2 || candidate.length < 2) throw new RangeError('Welch needs two values a side');
  const mb = mean(baseline);
  const mc = mean(candidate);
  const vb = variance(baseline, mb) / baseline.length;
  const vc = variance(candidate, mc) / candidate.length;
  const difference = mc - mb;
  const standardError = Math.sqrt(vb + vc);
  if (standardError === 0) {
    const p = difference === 0 ? 1 : 0;
    return {
      difference,
      standardError,
      df: Number.POSITIVE_INFINITY,
      t: Number.NaN,
      p,
      low: difference,
      high: difference,
    };
  }
  const df = (vb + vc) ** 2 / (vb ** 2 / (baseline.length - 1) + vc ** 2 / (candidate.length - 1));
  const t = difference / standardError;
  const p = Math.min(1, 2 * (1 - studentTCdf(Math.abs(t), df)));
  const half = studentTQuantile(1 - alpha / 2, df) * standardError;
  return { difference, standardError, df, t, p, low: difference - half, high: difference + half };
}

/** One side of one metric: its repeats' values and their mean and sd. */
export interface RepeatSide {
  readonly n: number;
  readonly mean: number;
  readonly sd: number;
  readonly values: readonly number[];
}

/** One headline figure compared across repeats. */
export interface RepeatMetricComparison {
  /** The series' key (`ttftMs.p50`, `outputTokensPerS`, …) and how it reads. */
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  /** The compare metric it belongs to (`ttft`, `throughput`, …). */
  readonly metric: CompareMetric;
  /** Latencies are better lower, rates higher; it decides which sign is "faster". */
  readonly better: 'lower' | 'higher';
  readonly baseline: RepeatSide;
  readonly candidate: RepeatSide;
  readonly welch: WelchTest;
  /**
   * welch's difference and interval over the baseline mean; null when that mean is 0. The low end
   * is clipped at −100 % (`clipped`), as the repeats' own interval is at 0.
   */
  readonly change: {
    readonly change: number;
    readonly low: number;
    readonly high: number;
    readonly clipped: boolean;
  } | null;
  /** On the metric's primary figure only (p50, output tok/s, goodput); null on the others. */
  readonly verdict: Verdict | null;
}

export interface RepeatsComparison {
  readonly baselineId: string;
  readonly candidateId: string;
  readonly alpha: number;
  readonly noise: number;
  /** Completed repeats a side: the n of the comparison, runs being the unit. */
  readonly repeats: { readonly baseline: number; readonly candidate: number };
  readonly metrics: readonly RepeatMetricComparison[];
}

/** What one series contributes: its id, its completed repeats and summarizeRepeats over them. */
export interface ComparedSeries {
  readonly id: string;
  readonly repeats: number;
  readonly statistics: Record<string, RepeatStatistic>;
}

/**
 * Which compare metric each series key belongs to, whether it is that metric's primary figure (the
 * one the verdict judges), and which way is better; in display order, latencies first as between
 * single runs.
 */
const KEYS: ReadonlyArray<{ key: string; metric: CompareMetric; primary: boolean; better: 'lower' | 'higher' }> = [
  ...(['ttft', 'tpot', 'itl', 'e2e'] as const).flatMap((metric) =>
    (['p50', 'p90', 'p99'] as const).map((p) => ({
      key: `${metric}Ms.${p}`,
      metric,
      primary: p === 'p50',
      better: 'lower' as const,
    })),
  ),
  { key: 'outputTokensPerS', metric: 'throughput', primary: true, better: 'higher' },
  { key: 'requestsPerS', metric: 'throughput', primary: false, better: 'higher' },
  { key: 'goodputRequestsPerS', metric: 'goodput', primary: true, better: 'higher' },
];

const sideOf = (statistic: RepeatStatistic): RepeatSide => ({
  n: statistic.n,
  mean: statistic.mean ?? Number.NaN,
  sd: statistic.sd ?? Number.NaN,
  values: statistic.values,
});

/**
 * The verdict of a figure across repeats: as between single runs, `faster`/`slower` needs both a
 * significant test (Welch's p < alpha) and the whole relative interval beyond ±noise.
 */
function verdictOf(
  change: RepeatMetricComparison['change'],
  p: number,
  better: 'lower' | 'higher',
  alpha: number,
  noise: number,
): Verdict {
  if (change === null) return 'no significant difference';
  const latencyVerdict = judgeChange(change, { p }, alpha, noise);
  if (better === 'lower' || latencyVerdict === 'no significant difference') return latencyVerdict;
  return latencyVerdict === 'slower' ? 'faster' : 'slower';
}

/**
 * Compares the headline figures of two series (summarizeRepeats of each), figure by figure, for
 * the chosen metrics (pure). A figure with fewer than two values on a side has no
 * spread to test and is left out.
 */
export function compareRepeats(
  baselineSeries: ComparedSeries,
  candidateSeries: ComparedSeries,
  options: { readonly metrics?: readonly CompareMetric[]; readonly alpha?: number; readonly noise?: number } = {},
): RepeatsComparison {
  const baseline = baselineSeries.statistics;
  const candidate = candidateSeries.statistics;
  const chosen = options.metrics ?? COMPARE_METRICS;
  const alpha = options.alpha ?? 0.05;
  const noise = options.noise ?? 0.02;
  const metrics: RepeatMetricComparison[] = [];
  for (const of of KEYS) {
    const { key } = of;
    const b = baseline[key];
    const c = candidate[key];
    if (!chosen.includes(of.metric) || !b || !c || b.n < 2 || c.n < 2) continue;
    const welch = welchTest(b.values, c.values, alpha);
    const base = b.mean!;
    // every figure is a duration or a rate: the candidate's mean cannot fall below 0, the change below −100 %
    const low = welch.low / base;
    const change =
      base === 0
        ? null
        : { change: welch.difference / base, low: Math.max(low, -1), high: welch.high / base, clipped: low < -1 };
    metrics.push({
      key,
      label: b.label,
      unit: b.unit,
      metric: of.metric,
      better: of.better,
      baseline: sideOf(b),
      candidate: sideOf(c),
      welch,
      change,
      verdict: of.primary ? verdictOf(change, welch.p, of.better, alpha, noise) : null,
    });
  }
  return {
    baselineId: baselineSeries.id,
    candidateId: candidateSeries.id,
    alpha,
    noise,
    repeats: { baseline: baselineSeries.repeats, candidate: candidateSeries.repeats },
    metrics,
  };
}
