import { type DistributionSummary, LatencyHistogram } from './latency-histogram.js';
import type { RequestMetrics } from './request-metrics.js';

/** The latency distributions of a run, one HDR histogram each (see RequestMetrics for formulas). */
export const LATENCY_METRICS = [
  'ttftMs',
  'ttfrMs',
  'ttftFromScheduleMs',
  'timeToHeadersMs',
  'queueMs',
  'slotWaitMs',
  'sendLatenessMs',
  'e2eMs',
  'e2eFromScheduleMs',
  'tpotMs',
  'tpotVllmMs',
  'itlMs',
  'chunkGapMs',
] as const;

export type LatencyMetricName = (typeof LATENCY_METRICS)[number];

export type MetricHistograms = Record<LatencyMetricName, LatencyHistogram>;

/** Base64 HdrHistogram per metric: the form that crosses worker threads and is stored with results. */
export type EncodedHistograms = Record<LatencyMetricName, string>;

export function emptyHistograms(): MetricHistograms {
  return Object.fromEntries(LATENCY_METRICS.map((name) => [name, LatencyHistogram.empty()])) as MetricHistograms;
}

/**
 * Adds one request to the histograms. Per-request metrics go in once each; the per-token ITL adds
 * one value per token interval and the chunk gaps one value per chunk. Null metrics are skipped, so
 * each histogram's count says how many requests (or tokens, or chunks) it describes.
 */
export function recordRequest(histograms: MetricHistograms, metrics: RequestMetrics): void {
  const single: Array<[LatencyMetricName, number | null]> = [
    ['ttftMs', metrics.ttftMs],
    ['ttfrMs', metrics.ttfrMs],
    ['ttftFromScheduleMs', metrics.ttftFromScheduleMs],
    ['timeToHeadersMs', metrics.timeToHeadersMs],
    ['queueMs', metrics.queueMs],
    ['slotWaitMs', metrics.slotWaitMs],
    ['sendLatenessMs', metrics.sendLatenessMs],
    ['e2eMs', metrics.e2eMs],
    ['e2eFromScheduleMs', metrics.e2eFromScheduleMs],
    ['tpotMs', metrics.tpotMs],
    ['tpotVllmMs', metrics.tpotVllmMs],
  ];
  for (const [name, value] of single) if (value !== null) histograms[name].record(value);
  for (const { intervalMs, tokens } of metrics.itl) histograms.itlMs.recordMany(intervalMs, tokens);
  for (const gap of metrics.chunkGapsMs) histograms.chunkGapMs.record(gap);
}

/** Merges `from` into `into` (bucket counts add; lossless). Returns `into`. */
export function mergeHistograms(into: MetricHistograms, from: MetricHistograms): MetricHistograms {
  for (const name of LATENCY_METRICS) into[name].merge(from[name]);
  return into;
}

export function encodeHistograms(histograms: MetricHistograms): EncodedHistograms {
  return Object.fromEntries(LATENCY_METRICS.map((name) => [name, histograms[name].encode()])) as EncodedHistograms;
}

/** Decodes histograms from encodeHistograms; metrics missing from `encoded` (older results) start empty. */
export function decodeHistograms(encoded: Partial<EncodedHistograms>): MetricHistograms {
  return Object.fromEntries(
    LATENCY_METRICS.map((name) => {
      const text = encoded[name];
      return [name, text === undefined ? LatencyHistogram.empty() : LatencyHistogram.decode(text)];
    }),
  ) as MetricHistograms;
}

/** Pools several runs' (or workers') encoded histograms into one set, e.g. to report p99 across repeated runs. */
export function mergeEncodedHistograms(encoded: ReadonlyArray<Partial<EncodedHistograms>>): MetricHistograms {
  return encoded.reduce<MetricHistograms>((all, one) => mergeHistograms(all, decodeHistograms(one)), emptyHistograms());
}

export function summarizeHistograms(histograms: MetricHistograms): Record<LatencyMetricName, DistributionSummary> {
  return Object.fromEntries(LATENCY_METRICS.map((name) => [name, histograms[name].summarize()])) as Record<
    LatencyMetricName,
    DistributionSummary
  >;
}
