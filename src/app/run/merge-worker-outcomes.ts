import { KittError } from '../../core/errors.js';
import type { DistributionSummary } from '../../metrics/latency-histogram.js';
import {
  type EncodedHistograms,
  type LatencyMetricName,
  type MetricHistograms,
  mergeEncodedHistograms,
  summarizeHistograms,
} from '../../metrics/metric-histograms.js';

/** What one load worker's `kitt run --json` says that a merge needs. */
interface WorkerOutcome {
  readonly status: string;
  readonly metrics: {
    readonly requests: {
      readonly total: number;
      readonly succeeded: number;
      readonly failed: number;
      readonly dropped: number;
    };
    readonly histograms: Partial<EncodedHistograms>;
  };
}

/** The load of all workers as one: exact distributions (bucket counts add) and request counts. */
export interface MergedWorkerLoad {
  readonly workers: number;
  readonly requests: {
    readonly total: number;
    readonly succeeded: number;
    readonly failed: number;
    readonly dropped: number;
  };
  readonly histograms: MetricHistograms;
  readonly distributions: Record<LatencyMetricName, DistributionSummary>;
}

/**
 * Reads each worker's outcome from its Pod log and merges them. A worker's HDR histograms hold
 * every recorded value's bucket, so the merged histogram is the one a single client recording
 * every request would have built, and its percentiles are the same numbers, not an average of
 * per-worker percentiles. Throughputs are not merged here: they need the union of the workers'
 * windows, which their start times set.
 */
export function mergeWorkerOutcomes(logs: readonly string[]): MergedWorkerLoad {
  const outcomes = logs.map((log, index) => readWorkerOutcome(log, index));
  const histograms = mergeEncodedHistograms(outcomes.map((o) => o.metrics.histograms));
  const sum = (field: keyof WorkerOutcome['metrics']['requests']) =>
    outcomes.reduce((total, o) => total + o.metrics.requests[field], 0);
  return {
    workers: outcomes.length,
    requests: { total: sum('total'), succeeded: sum('succeeded'), failed: sum('failed'), dropped: sum('dropped') },
    histograms,
    distributions: summarizeHistograms(histograms),
  };
}

/**
 * The outcome in a worker's log: `kitt run --json` prints one pretty-printed object, opening with
 * a `{` line and closing with a `}` line at column 0; the lines around it are progress on stderr,
 * which the log interleaves.
 */
export function readWorkerOutcome(log: string, index: number): WorkerOutcome {
  const lines = log.split('\n');
  const start = lines.indexOf('{');
  const end = lines.lastIndexOf('}');
  const problem = (why: string) =>
    new KittError('LOAD_FAILED', `load worker ${index} left no outcome in its log: ${why}`, {
      hint: `read it with kubectl logs (the Job's Pod of index ${index})`,
    });
  if (start < 0 || end < start) throw problem('no JSON object');
  let parsed: WorkerOutcome;
  try {
    parsed = JSON.parse(lines.slice(start, end + 1).join('\n')) as WorkerOutcome;
  } catch (error) {
    throw problem((error as Error).message);
  }
  if (typeof parsed.metrics?.histograms !== 'object') throw problem('no histograms in its metrics');
  return parsed;
}
