import type { RequestMetrics } from '../../metrics/request-metrics.js';
import type { RequestRecord } from '../../metrics/request-record.js';
import type { SloResult } from '../../metrics/summarize-run.js';
import type { ChartSpec, ThresholdSpec } from './chart-spec.js';
import type { SentPoints } from './sent-points.js';

const seconds = (ms: number) => Math.round(ms) / 1000;

/** One sent request on the latency-over-time chart. */
export interface LatencyPoint {
  readonly sentAtMs: number;
  readonly ttftMs: number | null;
  readonly e2eMs: number | null;
}

export const latencyPointOf = (record: RequestRecord, metrics: RequestMetrics): LatencyPoint => ({
  sentAtMs: record.sentAtMs!,
  ttftMs: metrics.ttftMs,
  e2eMs: metrics.e2eMs,
});

/**
 * One point per sent request (warmup and cooldown included, so the ramp is visible): TTFT and E2E
 * against the send time, seconds since the run's start. Failed requests have no TTFT (a gap).
 */
export function latencyOverTime(sent: SentPoints<LatencyPoint>, slo: SloResult | null | undefined): ChartSpec | null {
  if (sent.total === 0) return null;
  const thresholds: ThresholdSpec[] = [];
  if (slo?.bounds.ttftMs !== undefined)
    thresholds.push({ label: `SLO ttft ${slo.bounds.ttftMs} ms`, value: slo.bounds.ttftMs, axis: 'y' });
  if (slo?.bounds.e2eMs !== undefined)
    thresholds.push({ label: `SLO e2e ${slo.bounds.e2eMs} ms`, value: slo.bounds.e2eMs, axis: 'y' });
  return {
    id: 'latency-over-time',
    title: 'Latency over time',
    note:
      sent.step === 1
        ? 'Each sent request at its send time: TTFT and end-to-end latency.'
        : `TTFT and end-to-end latency at send time, every ${sent.step}th of ${sent.total} requests.`,
    x: { label: 'send time (s since start)' },
    y: { label: 'ms' },
    series: [
      { label: 'TTFT', style: 'points' },
      { label: 'E2E', style: 'points' },
    ],
    data: [
      sent.points.map((p) => seconds(p.sentAtMs)),
      sent.points.map((p) => p.ttftMs),
      sent.points.map((p) => p.e2eMs),
    ],
    thresholds,
  };
}

/** What the throughput chart is drawn from: per-bucket sums, as long as the run (not as its requests). */
export interface ThroughputColumns {
  readonly bucketMs: number;
  /** Succeeded requests and their output tokens by the bucket they ended in. */
  readonly requests: readonly number[];
  readonly tokens: readonly number[];
  /** Σ overlap(send → end, bucket) / bucket length. */
  readonly inFlight: readonly number[];
}

/**
 * The throughput chart's buckets fed one sent record at a time: they grow with the run's last end,
 * so the state is the run's length in seconds, whatever its number of requests.
 */
export class ThroughputCollector {
  private readonly requests: number[] = [];
  private readonly tokens: number[] = [];
  private readonly inFlight: number[] = [];
  private endMs = Number.NEGATIVE_INFINITY;
  private sent = 0;

  constructor(private readonly bucketMs = 1000) {}

  add(record: RequestRecord): void {
    const from = record.sentAtMs;
    if (from === null) return;
    const { bucketMs } = this;
    this.sent++;
    this.endMs = Math.max(this.endMs, record.endAtMs);
    if (record.error === null) {
      // an end on the last bucket's upper edge joins it once the last bucket is known (columns())
      const at = Math.floor(record.endAtMs / bucketMs);
      this.requests[at] = (this.requests[at] ?? 0) + 1;
      this.tokens[at] = (this.tokens[at] ?? 0) + record.outputTokens;
    }
    for (let b = Math.floor(from / bucketMs); b * bucketMs < record.endAtMs; b++) {
      const overlap = Math.min(record.endAtMs, (b + 1) * bucketMs) - Math.max(from, b * bucketMs);
      if (b >= 0 && overlap > 0) this.inFlight[b] = (this.inFlight[b] ?? 0) + overlap / bucketMs;
    }
  }

  columns(): ThroughputColumns | null {
    if (this.sent === 0) return null;
    const buckets = Math.max(1, Math.ceil(this.endMs / this.bucketMs));
    const column = (values: number[]) => {
      const out = Array.from({ length: buckets }, (_, b) => values[b] ?? 0);
      for (let b = buckets; b < values.length; b++) out[buckets - 1]! += values[b] ?? 0;
      return out;
    };
    return {
      bucketMs: this.bucketMs,
      requests: column(this.requests),
      tokens: column(this.tokens),
      inFlight: Array.from({ length: buckets }, (_, b) => this.inFlight[b] ?? 0),
    };
  }
}

/**
 * Per one-second bucket of the run: requests and output tokens of the succeeded requests that ended
 * in it (per second), and the mean number in flight over it: Σ overlap(send → end, bucket) / 1 s,
 * the same integral as meanInFlight (Little's law) taken bucket by bucket.
 */
export function throughputOverTime(columns: ThroughputColumns | null): ChartSpec | null {
  if (!columns) return null;
  const { bucketMs, requests, tokens, inFlight } = columns;
  const perS = 1000 / bucketMs;
  return {
    id: 'throughput-over-time',
    title: 'Throughput and in-flight requests over time',
    note: `Per ${bucketMs / 1000} s: completed requests and output tokens per second, and the mean number of requests in flight.`,
    x: { label: 'time (s since start)' },
    y: { label: 'per second' },
    y2: { label: 'in flight' },
    series: [
      { label: 'output tok/s', style: 'line' },
      { label: 'req/s', style: 'line' },
      { label: 'in flight', style: 'step', axis: 'y2' },
    ],
    data: [
      requests.map((_, b) => (b * bucketMs) / 1000),
      tokens.map((n) => n * perS),
      requests.map((n) => n * perS),
      inFlight.map((n) => Math.round(n * 1000) / 1000),
    ],
    thresholds: [],
  };
}
