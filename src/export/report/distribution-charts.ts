import { deriveRequestMetrics } from '../../metrics/request-metrics.js';
import type { RequestRecord } from '../../metrics/request-record.js';
import type { SloResult } from '../../metrics/summarize-run.js';
import { type ChartSpec, MAX_POINTS, type ThresholdSpec } from './chart-spec.js';

/** A latency sample with its weight: 1 per request, or the tokens a per-token ITL interval stands for. */
export interface WeightedValue {
  readonly value: number;
  readonly weight: number;
}

/** The three latency distributions the report draws, from succeeded measure-phase requests only. */
export function latencySamples(records: readonly RequestRecord[]): Record<'ttft' | 'itl' | 'e2e', WeightedValue[]> {
  const ttft: WeightedValue[] = [];
  const itl: WeightedValue[] = [];
  const e2e: WeightedValue[] = [];
  for (const record of records) {
    if (record.phase !== 'measure') continue;
    const metrics = deriveRequestMetrics(record);
    if (metrics.outcome !== 'succeeded') continue;
    if (metrics.ttftMs !== null) ttft.push({ value: metrics.ttftMs, weight: 1 });
    if (metrics.e2eMs !== null) e2e.push({ value: metrics.e2eMs, weight: 1 });
    for (const interval of metrics.itl) itl.push({ value: interval.intervalMs, weight: interval.tokens });
  }
  return { ttft, itl, e2e };
}

/**
 * Empirical CDF: sorted values against the cumulative share of weight at or below each, in percent
 * (F(x) = Σ weights ≤ x / Σ weights × 100). Past MAX_POINTS the curve keeps every k-th point and the
 * last, which changes nothing visible at the report's size.
 */
export function cdfColumns(samples: readonly WeightedValue[]): [number[], number[]] {
  const sorted = [...samples].sort((a, b) => a.value - b.value);
  const total = sorted.reduce((sum, s) => sum + s.weight, 0);
  const xs: number[] = [];
  const ys: number[] = [];
  const step = Math.max(1, Math.ceil(sorted.length / MAX_POINTS));
  let cumulative = 0;
  sorted.forEach((sample, i) => {
    cumulative += sample.weight;
    if (i % step === 0 || i === sorted.length - 1) {
      xs.push(sample.value);
      ys.push(total > 0 ? (cumulative / total) * 100 : 0);
    }
  });
  return [xs, ys];
}

/**
 * Histogram over [min, max] in `bins` equal bins (Sturges' rule, ⌈log2 n⌉ + 1, capped at 40): x is
 * each bin's lower edge, y the weight that fell in it. The last bin includes max.
 */
export function histogramColumns(samples: readonly WeightedValue[]): [number[], number[]] {
  if (samples.length === 0) return [[], []];
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const s of samples) {
    min = Math.min(min, s.value);
    max = Math.max(max, s.value);
  }
  const bins = max === min ? 1 : Math.min(40, Math.ceil(Math.log2(samples.length)) + 1);
  const width = (max - min) / bins || 1;
  const counts = new Array<number>(bins).fill(0);
  for (const s of samples) counts[Math.min(bins - 1, Math.floor((s.value - min) / width))]! += s.weight;
  return [counts.map((_, i) => min + i * width), counts];
}

/** The SLO bounds that apply to one distribution: a per-request bound and any percentile terms. */
export function sloThresholds(slo: SloResult | null | undefined, metric: 'ttft' | 'itl' | 'e2e'): ThresholdSpec[] {
  if (!slo) return [];
  const bound = metric === 'ttft' ? slo.bounds.ttftMs : metric === 'e2e' ? slo.bounds.e2eMs : slo.bounds.itlMaxMs;
  const perRequest: ThresholdSpec[] =
    bound === undefined
      ? []
      : [{ label: `SLO ${metric === 'itl' ? 'itl-max' : metric} ${bound} ms`, value: bound, axis: 'x' }];
  const percentiles = slo.percentiles
    .filter((term) => term.term.startsWith(`${metric}-p`))
    .map((term): ThresholdSpec => ({ label: `SLO ${term.term}`, value: term.boundMs, axis: 'x' }));
  return [...perRequest, ...percentiles];
}

const NAMES = { ttft: 'TTFT', itl: 'ITL (per token)', e2e: 'E2E latency' } as const;

/** CDF and histogram of TTFT, ITL and E2E, with the SLO bounds drawn where they apply. */
export function distributionCharts(records: readonly RequestRecord[], slo: SloResult | null | undefined): ChartSpec[] {
  const samples = latencySamples(records);
  return (['ttft', 'itl', 'e2e'] as const).flatMap((metric): ChartSpec[] => {
    const values = samples[metric];
    if (values.length === 0) return [];
    const name = NAMES[metric];
    const thresholds = sloThresholds(slo, metric);
    const unit = metric === 'itl' ? 'tokens' : 'requests';
    return [
      {
        id: `${metric}-cdf`,
        title: `${name}: cumulative distribution`,
        note: `Share of succeeded measured ${unit} at or below each latency.`,
        x: { label: `${name} (ms)` },
        y: { label: `% of ${unit}` },
        series: [{ label: `${name} CDF`, style: 'step' }],
        data: cdfColumns(values),
        thresholds,
      },
      {
        id: `${metric}-histogram`,
        title: `${name}: histogram`,
        note: `${unit[0]!.toUpperCase()}${unit.slice(1)} per latency bin (x is the bin's lower edge).`,
        x: { label: `${name} (ms)` },
        y: { label: unit },
        series: [{ label: unit, style: 'bars' }],
        data: histogramColumns(values),
        thresholds,
      },
    ];
  });
}
