import { engineTpotMs, engineTtftMs } from '../../metrics/engine-cross-check.js';
import type { RequestMetrics } from '../../metrics/request-metrics.js';
import type { RequestRecord } from '../../metrics/request-record.js';
import type { ChartSpec } from './chart-spec.js';
import type { SentPoints } from './sent-points.js';

/** One succeeded measured request with an engine report, as client and engine timed it. */
export interface CrossCheckPoint {
  readonly sentAtMs: number;
  readonly clientTtftMs: number | null;
  readonly engineTtftMs: number | null;
  readonly clientTpotMs: number | null;
  readonly engineTpotMs: number | null;
}

/** The sent, succeeded measure-phase requests that carried an engine report. */
export const hasEngineReport = (record: RequestRecord): boolean =>
  record.phase === 'measure' && record.error === null && record.engine !== null && record.sentAtMs !== null;

export const crossCheckPointOf = (record: RequestRecord, metrics: RequestMetrics): CrossCheckPoint => ({
  sentAtMs: record.sentAtMs!,
  clientTtftMs: metrics.ttftMs,
  engineTtftMs: engineTtftMs(record.engine!),
  clientTpotMs: metrics.tpotMs,
  engineTpotMs: engineTpotMs(record.engine!),
});

/**
 * Client against engine, per succeeded request that carried an engine report: TTFT and TPOT as kitt
 * measured them and as the engine timed them. The gap between the two TTFT series is HTTP,
 * tokenisation and queueing; the TPOT series should lie on each other.
 */
export function crossCheckChart(reported: SentPoints<CrossCheckPoint>): ChartSpec | null {
  const { points } = reported;
  if (points.length === 0) return null;
  return {
    id: 'engine-cross-check',
    title: 'Client vs engine, per request',
    note:
      reported.step === 1
        ? "TTFT and TPOT as kitt's client measured them and as the engine reported them, per request in send order."
        : `TTFT and TPOT as kitt's client measured them and as the engine reported them, every ${reported.step}th of ${reported.total} requests in send order.`,
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
      points.map((p) => Math.round(p.sentAtMs) / 1000),
      points.map((p) => p.clientTtftMs),
      points.map((p) => p.engineTtftMs),
      points.map((p) => p.clientTpotMs),
      points.map((p) => p.engineTpotMs),
    ],
    thresholds: [],
  };
}
