/**
 * A chart as plain data: what to draw, not how. The report page and the web dashboard hand the same
 * spec to one renderer (chart-renderer-script.ts), which turns it into uPlot options.
 */
export interface ChartSpec {
  /** Stable id (`ttft-cdf`): the element id on the page and the key tests look charts up by. */
  readonly id: string;
  readonly title: string;
  /** One sentence under the title: what the chart shows and what it is computed from. */
  readonly note: string;
  /** `time`: x holds Unix seconds, drawn as dates (the dashboard's history of calibrated rates). */
  readonly x: { readonly label: string; readonly time?: boolean };
  readonly y: { readonly label: string };
  /** A second y axis on the right, for series with `axis: 'y2'`. */
  readonly y2?: { readonly label: string };
  readonly series: readonly SeriesSpec[];
  /** Columns: data[0] is x (ascending), data[i] the values of series[i - 1]; null is a gap. */
  readonly data: ReadonlyArray<ReadonlyArray<number | null>>;
  /** Reference lines (SLO bounds, limits): `axis: 'x'` vertical, `y`/`y2` horizontal. */
  readonly thresholds: readonly ThresholdSpec[];
}

export interface SeriesSpec {
  readonly label: string;
  /** line: joined points; points: markers only; bars: one bar per x; step: a staircase. */
  readonly style: 'line' | 'points' | 'bars' | 'step';
  readonly axis?: 'y' | 'y2';
}

export interface ThresholdSpec {
  readonly label: string;
  readonly value: number;
  readonly axis: 'x' | 'y' | 'y2';
}

/** A titled group of charts, one section of the report. */
export interface ChartSection {
  readonly title: string;
  readonly charts: readonly ChartSpec[];
}

/** Most points one series carries; past this, distributions keep evenly spaced quantiles. */
export const MAX_POINTS = 5000;

/** Most requests a per-request chart draws; a longer run keeps every k-th, evenly over the run. */
export const MAX_REQUEST_POINTS = 20_000;

/** k of "every k-th": 1 when `count` items fit in `max`, else ⌈count / max⌉. */
export const thinningStep = (count: number, max: number) => (count <= max ? 1 : Math.ceil(count / max));

/** Every k-th item (and the last) so that at most `max` remain; all of them when they fit. */
export function thinOut<T>(items: ArrayLike<T>, max: number): T[] {
  const step = thinningStep(items.length, max);
  const kept: T[] = [];
  for (let i = 0; i < items.length; i++) if (i % step === 0 || i === items.length - 1) kept.push(items[i]!);
  return kept;
}
