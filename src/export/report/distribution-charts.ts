import { seededUniform, type Uniform } from '../../metrics/bootstrap.js';
import { FloatColumn } from '../../metrics/float-column.js';
import type { RequestMetrics } from '../../metrics/request-metrics.js';
import type { RequestRecord } from '../../metrics/request-record.js';
import type { SloResult } from '../../metrics/summarize-run.js';
import { type ChartSpec, MAX_POINTS, type ThresholdSpec } from './chart-spec.js';

/**
 * A latency distribution's samples as columns (8 B a value, 8 B a weight): `weights` null when each
 * counts 1 (a request). `seen` items of total weight `totalWeight` went in; when more than were
 * kept, the columns are a uniform sample of them (see WeightedReservoir).
 */
export interface WeightedColumns {
  readonly values: Float64Array;
  readonly weights: Float64Array | null;
  readonly seen: number;
  readonly totalWeight: number;
}

/** Per-token intervals kept exactly up to this many; past it a uniform sample of this many. */
export const MAX_EXACT_INTERVALS = 1_000_000;

/**
 * Weighted samples kept exactly up to `capacity`, then as a uniform reservoir of that many
 * (Vitter's algorithm R, seeded so a report is the same each time it is built). Each kept item
 * keeps its own weight, so the sample's weighted CDF estimates the whole weighted CDF without bias
 * toward heavy or light items.
 */
export class WeightedReservoir {
  private values = new Float64Array(1024);
  private weights = new Float64Array(1024);
  private kept = 0;
  private seen = 0;
  private totalWeight = 0;
  private readonly random: Uniform;

  constructor(
    private readonly capacity = MAX_EXACT_INTERVALS,
    seed = 1,
  ) {
    this.random = seededUniform(seed);
  }

  add(value: number, weight: number): void {
    this.seen++;
    this.totalWeight += weight;
    if (this.kept < this.capacity) {
      if (this.kept === this.values.length) this.grow();
      this.values[this.kept] = value;
      this.weights[this.kept++] = weight;
      return;
    }
    const slot = Math.floor(this.random() * this.seen);
    if (slot < this.capacity) {
      this.values[slot] = value;
      this.weights[slot] = weight;
    }
  }

  columns(): WeightedColumns {
    return {
      values: this.values.subarray(0, this.kept),
      weights: this.weights.subarray(0, this.kept),
      seen: this.seen,
      totalWeight: this.totalWeight,
    };
  }

  private grow(): void {
    const size = Math.min(this.capacity, this.values.length * 2);
    const values = new Float64Array(size);
    const weights = new Float64Array(size);
    values.set(this.values);
    weights.set(this.weights);
    this.values = values;
    this.weights = weights;
  }
}

/** The three latency distributions the report draws. */
export type LatencySamples = Record<'ttft' | 'itl' | 'e2e', WeightedColumns>;

/** The distributions fed one record at a time, from succeeded measure-phase requests only. */
export class LatencySampleCollector {
  private readonly ttft = new FloatColumn();
  private readonly e2e = new FloatColumn();
  private readonly itl: WeightedReservoir;

  constructor(itlCapacity = MAX_EXACT_INTERVALS) {
    this.itl = new WeightedReservoir(itlCapacity);
  }

  add(record: RequestRecord, metrics: RequestMetrics): void {
    if (record.phase !== 'measure' || metrics.outcome !== 'succeeded') return;
    if (metrics.ttftMs !== null) this.ttft.push(metrics.ttftMs);
    if (metrics.e2eMs !== null) this.e2e.push(metrics.e2eMs);
    for (const interval of metrics.itl) this.itl.add(interval.intervalMs, interval.tokens);
  }

  samples(): LatencySamples {
    const perRequest = (column: FloatColumn): WeightedColumns => ({
      values: column.sorted(),
      weights: null,
      seen: column.length,
      totalWeight: column.length,
    });
    return { ttft: perRequest(this.ttft), itl: this.itl.columns(), e2e: perRequest(this.e2e) };
  }
}

const weightOf = (samples: WeightedColumns, i: number) => samples.weights?.[i] ?? 1;

/**
 * Empirical CDF: sorted values against the cumulative share of weight at or below each, in percent
 * (F(x) = Σ weights ≤ x / Σ weights × 100). Past MAX_POINTS the curve keeps every k-th point and the
 * last, which changes nothing visible at the report's size.
 */
export function cdfColumns(samples: WeightedColumns): [number[], number[]] {
  const { values } = samples;
  // ties keep their order of arrival (a stable sort), so the same samples give the same curve
  const order = Uint32Array.from({ length: values.length }, (_, i) => i);
  if (samples.weights) order.sort((a, b) => values[a]! - values[b]! || a - b);
  else order.sort((a, b) => values[a]! - values[b]!);
  let total = 0;
  for (const i of order) total += weightOf(samples, i);
  const xs: number[] = [];
  const ys: number[] = [];
  const step = Math.max(1, Math.ceil(order.length / MAX_POINTS));
  let cumulative = 0;
  order.forEach((index, i) => {
    cumulative += weightOf(samples, index);
    if (i % step === 0 || i === order.length - 1) {
      xs.push(values[index]!);
      ys.push(total > 0 ? (cumulative / total) * 100 : 0);
    }
  });
  return [xs, ys];
}

/**
 * Histogram over [min, max] in `bins` equal bins (Sturges' rule, ⌈log2 n⌉ + 1, capped at 40): x is
 * each bin's lower edge, y the weight that fell in it. The last bin includes max. A sample's bins
 * are scaled up to the whole weight it was drawn from.
 */
export function histogramColumns(samples: WeightedColumns): [number[], number[]] {
  const { values } = samples;
  if (values.length === 0) return [[], []];
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let keptWeight = 0;
  for (let i = 0; i < values.length; i++) {
    min = Math.min(min, values[i]!);
    max = Math.max(max, values[i]!);
    keptWeight += weightOf(samples, i);
  }
  const bins = max === min ? 1 : Math.min(40, Math.ceil(Math.log2(values.length)) + 1);
  const width = (max - min) / bins || 1;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++)
    counts[Math.min(bins - 1, Math.floor((values[i]! - min) / width))]! += weightOf(samples, i);
  const scale = samples.seen > values.length && keptWeight > 0 ? samples.totalWeight / keptWeight : 1;
  return [counts.map((_, i) => min + i * width), scale === 1 ? counts : counts.map((n) => Math.round(n * scale))];
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

/** Said under a chart drawn from a sample, as the every-k-th charts say what they kept. */
const sampledNote = (samples: WeightedColumns) =>
  samples.seen > samples.values.length
    ? ` From a uniform sample of ${samples.values.length} of the ${samples.seen} intervals, each with the tokens it stands for.`
    : '';

const NAMES = { ttft: 'TTFT', itl: 'ITL (per token)', e2e: 'E2E latency' } as const;

/** CDF and histogram of TTFT, ITL and E2E, with the SLO bounds drawn where they apply. */
export function distributionCharts(samples: LatencySamples, slo: SloResult | null | undefined): ChartSpec[] {
  return (['ttft', 'itl', 'e2e'] as const).flatMap((metric): ChartSpec[] => {
    const values = samples[metric];
    if (values.values.length === 0) return [];
    const name = NAMES[metric];
    const thresholds = sloThresholds(slo, metric);
    const unit = metric === 'itl' ? 'tokens' : 'requests';
    return [
      {
        id: `${metric}-cdf`,
        title: `${name}: cumulative distribution`,
        note: `Share of succeeded measured ${unit} at or below each latency.${sampledNote(values)}`,
        x: { label: `${name} (ms)` },
        y: { label: `% of ${unit}` },
        series: [{ label: `${name} CDF`, style: 'step' }],
        data: cdfColumns(values),
        thresholds,
      },
      {
        id: `${metric}-histogram`,
        title: `${name}: histogram`,
        note: `${unit[0]!.toUpperCase()}${unit.slice(1)} per latency bin (x is the bin's lower edge).${sampledNote(values)}`,
        x: { label: `${name} (ms)` },
        y: { label: unit },
        series: [{ label: unit, style: 'bars' }],
        data: histogramColumns(values),
        thresholds,
      },
    ];
  });
}
