import { deriveRequestMetrics } from '../../metrics/request-metrics.js';
import type { RequestRecord } from '../../metrics/request-record.js';
import type { SloResult } from '../../metrics/summarize-run.js';
import { type ChartSpec, MAX_REQUEST_POINTS, type ThresholdSpec, thinOut } from './chart-spec.js';

const seconds = (ms: number) => Math.round(ms) / 1000;

/**
 * One point per sent request (warmup and cooldown included, so the ramp is visible): TTFT and E2E
 * against the send time, seconds since the run's start. Failed requests have no TTFT (a gap).
 */
export function latencyOverTime(
  records: readonly RequestRecord[],
  slo: SloResult | null | undefined,
): ChartSpec | null {
  const all = records.filter((r) => r.sentAtMs !== null).sort((a, b) => a.sentAtMs! - b.sentAtMs!);
  if (all.length === 0) return null;
  const sent = thinOut(all, MAX_REQUEST_POINTS);
  const metrics = sent.map(deriveRequestMetrics);
  const thresholds: ThresholdSpec[] = [];
  if (slo?.bounds.ttftMs !== undefined)
    thresholds.push({ label: `SLO ttft ${slo.bounds.ttftMs} ms`, value: slo.bounds.ttftMs, axis: 'y' });
  if (slo?.bounds.e2eMs !== undefined)
    thresholds.push({ label: `SLO e2e ${slo.bounds.e2eMs} ms`, value: slo.bounds.e2eMs, axis: 'y' });
  return {
    id: 'latency-over-time',
    title: 'Latency over time',
    note:
      sent.length === all.length
        ? 'Each sent request at its send time: TTFT and end-to-end latency.'
        : `TTFT and end-to-end latency at send time, every ${Math.ceil(all.length / MAX_REQUEST_POINTS)}th of ${all.length} requests.`,
    x: { label: 'send time (s since start)' },
    y: { label: 'ms' },
    series: [
      { label: 'TTFT', style: 'points' },
      { label: 'E2E', style: 'points' },
    ],
    data: [sent.map((r) => seconds(r.sentAtMs!)), metrics.map((m) => m.ttftMs), metrics.map((m) => m.e2eMs)],
    thresholds,
  };
}

/**
 * Per one-second bucket of the run: requests and output tokens of the succeeded requests that ended
 * in it (per second), and the mean number in flight over it: Σ overlap(send → end, bucket) / 1 s,
 * the same integral as meanInFlight (Little's law) taken bucket by bucket.
 */
export function throughputOverTime(records: readonly RequestRecord[], bucketMs = 1000): ChartSpec | null {
  const sent = records.filter((r) => r.sentAtMs !== null);
  if (sent.length === 0) return null;
  const end = Math.max(...sent.map((r) => r.endAtMs));
  const buckets = Math.max(1, Math.ceil(end / bucketMs));
  const requests = new Array<number>(buckets).fill(0);
  const tokens = new Array<number>(buckets).fill(0);
  const inFlight = new Array<number>(buckets).fill(0);
  for (const record of sent) {
    const from = record.sentAtMs!;
    if (record.error === null) {
      const at = Math.min(buckets - 1, Math.floor(record.endAtMs / bucketMs));
      requests[at]! += 1;
      tokens[at]! += record.outputTokens;
    }
    for (let b = Math.floor(from / bucketMs); b < buckets && b * bucketMs < record.endAtMs; b++) {
      const overlap = Math.min(record.endAtMs, (b + 1) * bucketMs) - Math.max(from, b * bucketMs);
      if (b >= 0 && overlap > 0) inFlight[b]! += overlap / bucketMs;
    }
  }
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
