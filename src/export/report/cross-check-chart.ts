import { engineTpotMs, engineTtftMs } from '../../metrics/engine-cross-check.js';
import { deriveRequestMetrics } from '../../metrics/request-metrics.js';
import type { RequestRecord } from '../../metrics/request-record.js';
import { type ChartSpec, MAX_REQUEST_POINTS, thinOut } from './chart-spec.js';

/**
 * Client against engine, per succeeded request that carried an engine report: TTFT and TPOT as kitt
 * measured them and as the engine timed them. The gap between the two TTFT series is HTTP,
 * tokenisation and queueing; the TPOT series should lie on each other.
 */
export function crossCheckChart(records: readonly RequestRecord[]): ChartSpec | null {
  const reported = records
    .filter((r) => r.phase === 'measure' && r.error === null && r.engine !== null && r.sentAtMs !== null)
    .sort((a, b) => a.sentAtMs! - b.sentAtMs!);
  const pairs = thinOut(reported, MAX_REQUEST_POINTS).map((record) => ({
    record,
    metrics: deriveRequestMetrics(record),
    engine: record.engine!,
  }));
  if (pairs.length === 0) return null;
  return {
    id: 'engine-cross-check',
    title: 'Client vs engine, per request',
    note: "TTFT and TPOT as kitt's client measured them and as the engine reported them, per request in send order.",
    x: { label: 'send time (s since start)' },
    y: { label: 'TTFT (ms)' },
    y2: { label: 'TPOT (ms)' },
    series: [
      { label: 'client TTFT', style: 'points' },
      { label: 'engine TTFT', style: 'points' },
      { label: 'client TPOT', style: 'points', axis: 'y2' },
      { label: 'engine TPOT', style: 'points', axis: 'y2' },
    ],
    data: [
      pairs.map((p) => Math.round(p.record.sentAtMs!) / 1000),
      pairs.map((p) => p.metrics.ttftMs),
      pairs.map((p) => engineTtftMs(p.engine)),
      pairs.map((p) => p.metrics.tpotMs),
      pairs.map((p) => engineTpotMs(p.engine)),
    ],
    thresholds: [],
  };
}
