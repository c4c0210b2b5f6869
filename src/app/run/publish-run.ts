import { toEpochMs } from '../../core/clock.js';
import type { Progress } from '../../core/progress.js';
import type { InfluxWriter } from '../../export/influx-writer.js';
import type { MetricPoint, RunLabels } from '../../export/metric-point.js';
import type { RequestObservation, RunMetricsExporter } from '../../export/prometheus-exporter.js';
import { requestPoint, runPoint } from '../../export/run-points.js';
import type { LoadResult } from '../../load/run-load.js';
import { deriveRequestMetrics } from '../../metrics/request-metrics.js';
import type { RequestRecord } from '../../metrics/request-record.js';
import type { RunMetrics } from '../../metrics/summarize-run.js';

/** What one measured request tells the monitoring backends. */
export function observationOf(record: RequestRecord): RequestObservation {
  const metrics = deriveRequestMetrics(record);
  return {
    outcome: metrics.outcome === 'succeeded' ? 'ok' : metrics.outcome === 'dropped' ? 'dropped' : 'error',
    ...(metrics.errorKind ? { errorKind: metrics.errorKind } : {}),
    ttftMs: metrics.ttftMs,
    tpotMs: metrics.tpotMs,
    e2eMs: metrics.e2eMs,
    queueMs: metrics.queueMs,
    outputTokens: record.outputTokens,
    promptTokens: record.promptTokens ?? 0,
  };
}

/** Feeds one finished measured request to the live Prometheus series. */
export function observeRecord(exporter: RunMetricsExporter | undefined, record: RequestRecord): void {
  if (exporter && record.phase === 'measure') exporter.observeRequest(observationOf(record));
}

/**
 * Writes the run to InfluxDB when one is configured: a point per measured request and one for
 * the run. A refused write is a warning, never a lost run: the result directory and store hold it.
 */
export async function publishRun(
  labels: RunLabels,
  load: LoadResult,
  metrics: RunMetrics,
  ports: { influx?: InfluxWriter },
  progress: Progress,
): Promise<void> {
  if (!ports.influx) return;
  const points: MetricPoint[] = load.records
    .filter((record) => record.phase === 'measure')
    .map((record) => requestPoint(labels, observationOf(record), toEpochMs(load.wallAnchor, record.endAtMs)));
  points.push(
    runPoint(
      labels,
      {
        requestsPerS: metrics.throughput.requestsPerS,
        outputTokensPerS: metrics.throughput.outputTokensPerS,
        ttftP50Ms: metrics.ttftMs.p50,
        ttftP99Ms: metrics.ttftMs.p99,
        tpotP50Ms: metrics.tpotMs.p50,
        tpotP99Ms: metrics.tpotMs.p99,
        e2eP99Ms: metrics.e2eMs.p99,
        succeeded: metrics.requests.succeeded,
        failed: metrics.requests.failed,
        goodputPerS: metrics.slo?.goodputRequestsPerS ?? null,
      },
      Date.now(),
    ),
  );
  try {
    ports.influx.write(points);
    await ports.influx.flush();
    progress.info(`wrote ${points.length} points to InfluxDB`);
  } catch (error) {
    progress.warn(`InfluxDB: ${(error as Error).message}`);
  }
}
