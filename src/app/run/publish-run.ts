import { toEpochMs, type WallAnchor } from '../../core/clock.js';
import type { Progress } from '../../core/progress.js';
import type { InfluxWriter } from '../../export/influx-writer.js';
import type { MetricPoint, RunLabels } from '../../export/metric-point.js';
import type { RequestObservation, RunMetricsExporter } from '../../export/prometheus-exporter.js';
import { readRequestLog } from '../../export/request-log-reader.js';
import { requestPoint, runPoint } from '../../export/run-points.js';
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

/** Points per write while requests.jsonl is read back: a long run is never one array of points. */
const POINTS_PER_WRITE = 5_000;

/**
 * Writes the run to InfluxDB when one is configured: a point per measured request, read back from
 * requests.jsonl in batches, and one for the run. A refused write is a warning, never a lost run:
 * the result directory and store hold it.
 */
export async function publishRun(
  labels: RunLabels,
  requestLog: { readonly path: string; readonly origin: WallAnchor },
  metrics: RunMetrics,
  ports: { influx?: InfluxWriter },
  progress: Progress,
): Promise<void> {
  const { influx } = ports;
  if (!influx) return;
  let written = 0;
  let points: MetricPoint[] = [];
  const send = async () => {
    influx.write(points);
    await influx.flush();
    written += points.length;
    points = [];
  };
  let unreadable: Error | undefined;
  // only a failed read stops here (a result folder never written): the run's point still goes out
  const records = async function* () {
    try {
      yield* readRequestLog(requestLog.path);
    } catch (error) {
      unreadable = error as Error;
    }
  };
  try {
    // requests.jsonl times count from the origin: back on the monotonic clock, then to wall time
    const { origin } = requestLog;
    for await (const record of records()) {
      if (record.phase !== 'measure') continue;
      points.push(requestPoint(labels, observationOf(record), toEpochMs(origin, record.endAtMs + origin.monotonicMs)));
      if (points.length >= POINTS_PER_WRITE) await send();
    }
    if (unreadable)
      progress.warn(`InfluxDB: requests.jsonl could not be read back (${unreadable.message}): the run's point only`);
    points.push(runPoint(labels, runFields(metrics), Date.now()));
    await send();
    progress.info(`wrote ${written} points to InfluxDB`);
  } catch (error) {
    progress.warn(`InfluxDB: ${(error as Error).message}`);
  }
}

function runFields(metrics: RunMetrics): Parameters<typeof runPoint>[1] {
  return {
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
  };
}
