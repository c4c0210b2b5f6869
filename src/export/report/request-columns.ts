import { deriveRequestMetrics } from '../../metrics/request-metrics.js';
import type { RequestRecord } from '../../metrics/request-record.js';
import { parseRecordLine } from '../../metrics/serialize-record.js';
import { MAX_REQUEST_POINTS } from './chart-spec.js';
import { type CrossCheckPoint, crossCheckPointOf, hasEngineReport } from './cross-check-chart.js';
import { LatencySampleCollector, type LatencySamples } from './distribution-charts.js';
import { SentPointPicker, type SentPoints } from './sent-points.js';
import { type StagePoint, StagePointCollector } from './sweep-charts.js';
import { type LatencyPoint, latencyPointOf, ThroughputCollector, type ThroughputColumns } from './timeline-charts.js';

/** What the report draws from requests.jsonl: each chart's own columns, none of them the records. */
export interface RequestColumns {
  readonly stages: readonly StagePoint[];
  readonly latency: SentPoints<LatencyPoint>;
  readonly throughput: ThroughputColumns | null;
  readonly samples: LatencySamples;
  readonly crossCheck: SentPoints<CrossCheckPoint>;
}

/**
 * Feeds each chart's collector from requests.jsonl in two reads, holding at most one record at a
 * time. The first read feeds everything that is a sum, a bucket or a column of numbers (per stage,
 * per second, the distributions) and ranks the per-request charts' candidates by send time; the
 * second keeps the few numbers of the requests those charts draw (every k-th, once the count is known).
 */
class RequestCollector {
  private readonly stages = new StagePointCollector();
  private readonly throughput = new ThroughputCollector();
  private readonly samples: LatencySampleCollector;
  private readonly latency = new SentPointPicker<LatencyPoint>(MAX_REQUEST_POINTS);
  private readonly crossCheck = new SentPointPicker<CrossCheckPoint>(MAX_REQUEST_POINTS);

  constructor(options: CollectOptions) {
    this.samples = new LatencySampleCollector(options.itlCapacity);
  }

  first(line: number, record: RequestRecord): void {
    this.stages.add(record);
    this.throughput.add(record);
    this.samples.add(record, deriveRequestMetrics(record));
    if (record.sentAtMs !== null) this.latency.count(line, record.sentAtMs);
    if (hasEngineReport(record)) this.crossCheck.count(line, record.sentAtMs!);
  }

  plan(): void {
    this.latency.plan();
    this.crossCheck.plan();
  }

  wants(line: number): boolean {
    return this.latency.wants(line) || this.crossCheck.wants(line);
  }

  second(line: number, record: RequestRecord): void {
    const metrics = deriveRequestMetrics(record);
    if (this.latency.wants(line)) this.latency.keep(line, latencyPointOf(record, metrics));
    if (this.crossCheck.wants(line)) this.crossCheck.keep(line, crossCheckPointOf(record, metrics));
  }

  columns(): RequestColumns {
    return {
      stages: this.stages.points(),
      latency: this.latency.result(),
      throughput: this.throughput.columns(),
      samples: this.samples.samples(),
      crossCheck: this.crossCheck.result(),
    };
  }
}

export interface CollectOptions {
  /** Per-token intervals kept exactly before the ITL charts switch to a uniform sample. */
  readonly itlCapacity?: number;
}

/** The report's columns of records already in memory (a small run, a test). */
export function collectRequests(records: readonly RequestRecord[], options: CollectOptions = {}): RequestColumns {
  const collector = new RequestCollector(options);
  records.forEach((record, line) => {
    collector.first(line, record);
  });
  collector.plan();
  records.forEach((record, line) => {
    if (collector.wants(line)) collector.second(line, record);
  });
  return collector.columns();
}

/**
 * The report's columns of a requests.jsonl of any length: `lines` opens a fresh read of its
 * non-empty lines each time it is called (twice); the second read parses only the lines it keeps.
 */
export async function collectRequestLog(
  lines: () => AsyncIterable<string>,
  options: CollectOptions = {},
): Promise<RequestColumns> {
  const collector = new RequestCollector(options);
  let line = 0;
  for await (const text of lines()) collector.first(line++, parseRecordLine(text));
  collector.plan();
  line = 0;
  for await (const text of lines()) {
    if (collector.wants(line)) collector.second(line, parseRecordLine(text));
    line++;
  }
  return collector.columns();
}
