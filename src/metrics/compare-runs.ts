import {
  type BootstrapOptions,
  bootstrapRelativeChanges,
  DEFAULT_RESAMPLES,
  mannWhitneyU,
  quantileOfSorted,
  type RankTest,
  type RelativeChange,
  type Units,
  type WeightedStatistic,
  weightedMean,
  weightedQuantile,
} from './bootstrap.js';
import type { RepeatsComparison } from './compare-runs-repeats.js';
import { deriveRequestMetrics } from './request-metrics.js';
import type { RequestRecord } from './request-record.js';
import type { Comparability } from './run-comparability.js';

/** The latency metrics compare can test, by their short names on the command line. */
export const LATENCY_COMPARE_METRICS = ['ttft', 'tpot', 'itl', 'e2e'] as const;
/** Run-level rates: one figure per run, so they are shown, never tested. */
export const RATE_COMPARE_METRICS = ['throughput', 'goodput'] as const;
export const COMPARE_METRICS = [...LATENCY_COMPARE_METRICS, ...RATE_COMPARE_METRICS] as const;

export type LatencyCompareMetric = (typeof LATENCY_COMPARE_METRICS)[number];
export type RateCompareMetric = (typeof RATE_COMPARE_METRICS)[number];
export type CompareMetric = (typeof COMPARE_METRICS)[number];

/** How a person reads each metric's name, in tables and reports. */
export const COMPARE_METRIC_LABELS: Record<CompareMetric, string> = {
  ttft: 'TTFT',
  tpot: 'TPOT',
  itl: 'ITL',
  e2e: 'E2E',
  throughput: 'output tok/s',
  goodput: 'goodput req/s',
};

export type Verdict = 'faster' | 'slower' | 'no significant difference';

export const STATISTICS = ['p50', 'p90', 'p99', 'mean'] as const;
export type StatisticName = (typeof STATISTICS)[number];

const STATISTIC_OF: Record<StatisticName, WeightedStatistic> = {
  p50: (sample) => weightedQuantile(sample, 0.5),
  p90: (sample) => weightedQuantile(sample, 0.9),
  p99: (sample) => weightedQuantile(sample, 0.99),
  mean: weightedMean,
};

/** The per-request samples of one metric: bootstrap units and one value per request for the rank test. */
export interface MetricSample {
  readonly units: Units;
  readonly perRequest: readonly number[];
}

/** What one run contributes: its measured, succeeded requests, and its run-level rates when known. */
export interface ComparedRun {
  readonly id: string;
  readonly records: readonly RequestRecord[];
  readonly rates?: Partial<Record<RateCompareMetric, number | null>>;
}

export interface CompareOptions {
  readonly metrics?: readonly CompareMetric[];
  /** Significance level of the rank test; the bootstrap interval is at 1 − alpha. Default 0.05. */
  readonly alpha?: number;
  /** Relative changes whose interval reaches inside ±noise are noise. Default 0.02 (2 %). */
  readonly noise?: number;
  readonly resamples?: number;
  readonly seed?: number;
}

export interface StatisticChange extends RelativeChange {
  readonly statistic: StatisticName;
}

export interface LatencyComparison {
  readonly metric: LatencyCompareMetric;
  readonly requests: { readonly baseline: number; readonly candidate: number };
  readonly statistics: readonly StatisticChange[];
  readonly rankTest: RankTest;
  readonly verdict: Verdict;
}

export interface RateComparison {
  readonly metric: RateCompareMetric;
  readonly baseline: number | null;
  readonly candidate: number | null;
  /** candidate / baseline − 1; null where either side has no figure. */
  readonly change: number | null;
}

export interface RunComparison {
  readonly baselineId: string;
  readonly candidateId: string;
  readonly alpha: number;
  readonly noise: number;
  readonly resamples: number;
  readonly latencies: readonly LatencyComparison[];
  readonly rates: readonly RateComparison[];
}

/** Per-token intervals of a request, one value per token (a chunk of k tokens gives k equal ones). */
function tokenIntervals(itl: readonly { intervalMs: number; tokens: number }[]): number[] {
  return itl.flatMap(({ intervalMs, tokens }) => Array<number>(tokens).fill(intervalMs));
}

/**
 * The samples compare tests, from the measure-phase requests that succeeded (as summarizeRun's
 * latency distributions). ITL pools every token interval for its percentiles, resampled by request;
 * its rank test takes each request's median interval, since the tokens of one request are not
 * independent of each other.
 */
export function metricSamples(records: readonly RequestRecord[]): Record<LatencyCompareMetric, MetricSample> {
  const derived = records
    .filter((r) => r.phase === 'measure')
    .map(deriveRequestMetrics)
    .filter((m) => m.outcome === 'succeeded');
  const single = (pick: (m: (typeof derived)[number]) => number | null): MetricSample => {
    const values = derived.map(pick).filter((v): v is number => v !== null);
    return { units: values.map((v) => [v]), perRequest: values };
  };
  const itlUnits = derived.map((m) => tokenIntervals(m.itl)).filter((values) => values.length > 0);
  return {
    ttft: single((m) => m.ttftMs),
    tpot: single((m) => m.tpotMs),
    e2e: single((m) => m.e2eMs),
    itl: {
      units: itlUnits,
      perRequest: itlUnits.map((values) =>
        quantileOfSorted(
          [...values].sort((a, b) => a - b),
          0.5,
        ),
      ),
    },
  };
}

/**
 * The verdict on one metric. "faster" or "slower" needs both: the rank test rejects "same
 * distribution" at `alpha` (benchstat's test), and the whole (1 − alpha) bootstrap interval of the
 * median's relative change lies beyond ±noise (Criterion.rs's rule: a change whose interval reaches
 * into the noise band is not reported as one). Lower latency is faster. Across repeats the same rule
 * takes Welch's test and its interval (compare-runs-repeats.ts).
 */
export function judgeChange(
  median: Pick<RelativeChange, 'low' | 'high'>,
  test: Pick<RankTest, 'p'>,
  alpha: number,
  noise: number,
): Verdict {
  if (!(test.p < alpha)) return 'no significant difference';
  if (median.low > noise && median.high > noise) return 'slower';
  if (median.low < -noise && median.high < -noise) return 'faster';
  return 'no significant difference';
}

/** Compares one metric's samples of two runs: bootstrap intervals per statistic, the rank test, the verdict. */
export function compareSamples(
  metric: LatencyCompareMetric,
  baseline: MetricSample,
  candidate: MetricSample,
  options: { alpha: number; noise: number } & BootstrapOptions,
): LatencyComparison {
  const changes = bootstrapRelativeChanges(
    baseline.units,
    candidate.units,
    STATISTICS.map((statistic) => STATISTIC_OF[statistic]),
    { ...options, confidence: 1 - options.alpha },
  );
  const statistics = STATISTICS.map((statistic, i) => ({ statistic, ...changes[i]! }));
  const rankTest = mannWhitneyU(baseline.perRequest, candidate.perRequest);
  return {
    metric,
    requests: { baseline: baseline.units.length, candidate: candidate.units.length },
    statistics,
    rankTest,
    verdict: judgeChange(statistics[0]!, rankTest, options.alpha, options.noise),
  };
}

/** Compares a candidate run with the baseline on each chosen metric (pure, seeded: reproducible). */
export function compareRuns(
  baseline: ComparedRun,
  candidate: ComparedRun,
  options: CompareOptions = {},
): RunComparison {
  const chosen = options.metrics ?? COMPARE_METRICS;
  const alpha = options.alpha ?? 0.05;
  const noise = options.noise ?? 0.02;
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const base = metricSamples(baseline.records);
  const cand = metricSamples(candidate.records);
  // each metric's seed follows from its fixed place in the list, so --metric does not move its interval
  const latencies = LATENCY_COMPARE_METRICS.filter((m) => chosen.includes(m)).map((metric) =>
    compareSamples(metric, base[metric], cand[metric], {
      alpha,
      noise,
      resamples,
      seed: (options.seed ?? 1) + 100 * LATENCY_COMPARE_METRICS.indexOf(metric),
    }),
  );
  const rates = RATE_COMPARE_METRICS.filter((m) => chosen.includes(m)).map((metric): RateComparison => {
    const b = baseline.rates?.[metric] ?? null;
    const c = candidate.rates?.[metric] ?? null;
    return { metric, baseline: b, candidate: c, change: b !== null && c !== null && b !== 0 ? c / b - 1 : null };
  });
  return { baselineId: baseline.id, candidateId: candidate.id, alpha, noise, resamples, latencies, rates };
}

/** Said beside every comparison of single runs: the intervals treat requests as independent draws. */
export const SINGLE_RUN_CAVEAT =
  "requests within one run are not independent of the host's drift (thermal, background load, caches): " +
  'the intervals treat them as independent, so a change between single runs can be the host; repeat each side to be sure';

/** One side of a comparison as the person named it: a run, or a series of repeats. */
export interface ComparedSideInfo {
  readonly kind: 'run' | 'series';
  /** The run id, or the series id. */
  readonly id: string;
  /** The runs it stands for: the run alone, or the series' completed repeats in order. */
  readonly runIds: readonly string[];
}

/** A candidate against the baseline, request by request: single runs, or a side with fewer than two repeats. */
export interface RequestLevelComparison extends RunComparison {
  readonly unit: 'requests';
  readonly comparability: Comparability;
  /** Why this pair was compared request by request when a side is a series, and similar remarks. */
  readonly notes: readonly string[];
}

/** A candidate series against the baseline series, with each repeat as one draw. */
export interface RepeatLevelComparison extends RepeatsComparison {
  readonly unit: 'repeats';
  readonly comparability: Comparability;
  readonly notes: readonly string[];
}

export type StoredComparison = RequestLevelComparison | RepeatLevelComparison;

/** What `kitt compare` reports: each later side against the baseline, and how the figures were made. */
export interface ComparisonReport {
  /** The baseline's id (a run id or a series id). */
  readonly baseline: string;
  readonly sides: readonly ComparedSideInfo[];
  readonly comparisons: readonly StoredComparison[];
  /** One line per kind of comparison made: how its intervals, test and verdict were computed. */
  readonly method: { readonly requests?: string; readonly repeats?: string };
  /** The single-run caveat, when any pair was compared request by request; null otherwise. */
  readonly caveat: string | null;
}
