import type { ContainerRef, StatsSample } from './container-runtime.js';

/** Anything that streams stats for a ref: the Docker runtime or the native process runtime. */
export interface StatsSource<Ref = ContainerRef> {
  stats(ref: Ref, signal?: AbortSignal): AsyncIterable<StatsSample>;
}

export interface MeanMax {
  readonly mean: number;
  readonly max: number;
}

/** A run's resource use in a few numbers; throttling and network are totals over the series. */
export interface StatsSummary {
  readonly sampleCount: number;
  /** From the first to the last sample. */
  readonly durationMs: number;
  readonly cpuPercentOfLimit: MeanMax;
  readonly cpuPercentOfHost: MeanMax;
  readonly cpuCores: MeanMax;
  readonly memoryBytes: MeanMax;
  /** The memory limit seen in the last sample (the host's memory when unlimited). */
  readonly memoryLimitBytes: number;
  readonly throttledPeriods: number;
  readonly throttledTimeMs: number;
  readonly pids: MeanMax;
  readonly netRxBytes: number;
  readonly netTxBytes: number;
}

export interface SampleStatsOptions {
  /** Keep at most one sample per interval (Docker sends about one a second). Default 1000 ms. */
  readonly intervalMs?: number;
  /** Stops sampling; the samples so far are returned. */
  readonly signal?: AbortSignal;
  /** Called with every kept sample, for live progress. */
  readonly onSample?: (sample: StatsSample) => void;
}

export interface StatsSeries {
  readonly samples: readonly StatsSample[];
  readonly summary: StatsSummary;
}

/**
 * Samples until `signal` aborts or the container stops, then summarises. Start it without awaiting,
 * run the load, abort, and await the series. A sample's throttling is the change since the previous
 * reading, so samples dropped by `intervalMs` have their throttling folded into the next kept one.
 */
export async function sampleStats<Ref>(
  source: StatsSource<Ref>,
  ref: Ref,
  options: SampleStatsOptions = {},
): Promise<StatsSeries> {
  const intervalMs = options.intervalMs ?? 1000;
  const samples: StatsSample[] = [];
  let pendingPeriods = 0;
  let pendingThrottledMs = 0;
  // Docker's readings arrive about a second apart with jitter; allow 10 % early.
  const minGapMs = intervalMs * 0.9;
  for await (const sample of source.stats(ref, options.signal)) {
    pendingPeriods += sample.throttledPeriods;
    pendingThrottledMs += sample.throttledTimeMs;
    const last = samples.at(-1);
    if (last && sample.atMs - last.atMs < minGapMs) continue;
    const kept = { ...sample, throttledPeriods: pendingPeriods, throttledTimeMs: pendingThrottledMs };
    pendingPeriods = 0;
    pendingThrottledMs = 0;
    samples.push(kept);
    options.onSample?.(kept);
  }
  return { samples, summary: summarizeStats(samples) };
}

function meanMax(values: readonly number[]): MeanMax {
  if (values.length === 0) return { mean: 0, max: 0 };
  let sum = 0;
  let max = Number.NEGATIVE_INFINITY;
  for (const value of values) {
    sum += value;
    if (value > max) max = value;
  }
  return { mean: sum / values.length, max };
}

/** Mean and max of each gauge; throttling summed; network as the growth of its counters. */
export function summarizeStats(samples: readonly StatsSample[]): StatsSummary {
  const first = samples[0];
  const last = samples.at(-1);
  const pick = (key: keyof StatsSample) => meanMax(samples.map((s) => s[key]));
  return {
    sampleCount: samples.length,
    durationMs: first && last ? last.atMs - first.atMs : 0,
    cpuPercentOfLimit: pick('cpuPercentOfLimit'),
    cpuPercentOfHost: pick('cpuPercentOfHost'),
    cpuCores: pick('cpuCores'),
    memoryBytes: pick('memoryBytes'),
    memoryLimitBytes: last?.memoryLimitBytes ?? 0,
    throttledPeriods: samples.reduce((sum, s) => sum + s.throttledPeriods, 0),
    throttledTimeMs: samples.reduce((sum, s) => sum + s.throttledTimeMs, 0),
    pids: pick('pids'),
    netRxBytes: first && last ? last.netRxBytes - first.netRxBytes : 0,
    netTxBytes: first && last ? last.netTxBytes - first.netTxBytes : 0,
  };
}

/** One row of stats.jsonl: time since the run's origin instead of the monotonic clock reading. */
export type StatsRow = Omit<StatsSample, 'atMs'> & { readonly tMs: number };

/** Rows relative to `originMs` (the run's monotonic start), ready to write as JSON lines. */
export function toStatsRows(samples: readonly StatsSample[], originMs: number): StatsRow[] {
  return samples.map(({ atMs, ...rest }) => ({ tMs: Math.round((atMs - originMs) * 1000) / 1000, ...rest }));
}

/** The series as JSON lines (one row per line, trailing newline), the format of stats.jsonl. */
export function formatStatsJsonl(samples: readonly StatsSample[], originMs: number): string {
  return toStatsRows(samples, originMs)
    .map((row) => `${JSON.stringify(row)}\n`)
    .join('');
}
