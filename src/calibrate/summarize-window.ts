import type { RequestRecord } from '../metrics/request-record.js';
import type { RateUnit, WindowMeasurement } from './window-verdict.js';

/**
 * One container stats reading, as calibration needs it. The runtime's sampler is adapted to this
 * shape where it is wired (src/app), so this module stays pure.
 */
export interface ContainerSample {
  readonly atMs: number;
  /** CPU used since the previous sample, in percent of the container's CPU limit. */
  readonly cpuPercentOfLimit: number;
  /** CFS periods throttled since the previous sample, in percent of periods; undefined if unknown. */
  readonly throttledPercent?: number;
  readonly memoryBytes?: number;
  /** Engine queue gauge at this time (llama.cpp requests_deferred, vLLM num_requests_waiting). */
  readonly queueDepth?: number;
}

/** Exact percentile by nearest rank on a sorted copy (p in 0..100); undefined for no values. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/** Least-squares slope of y on x; undefined with fewer than 3 points or no spread in x. */
export function slope(points: ReadonlyArray<readonly [number, number]>): number | undefined {
  if (points.length < 3) return undefined;
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const [x, y] of points) {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (y - my);
  }
  return sxx === 0 ? undefined : sxy / sxx;
}

/**
 * Turns one window's request records and container samples into the numbers the controller judges.
 *
 * - offered: the rate of arrivals scheduled in [startMs, endMs), (n − 1) / (last − first arrival).
 *   Achieved: the rate at which those requests completed, (n − 1) / (last end − first end), times
 *   the share that completed at all. Both count gaps, not arrivals, so neither is biased by a
 *   window that holds ⌈r·T⌉ arrivals.
 *   Completions mirror arrivals shifted by the latency while the engine keeps up, so the two agree;
 *   past capacity completions spread out and the ratio falls. (The caller lets the window drain.)
 * - TTFT = firstContentAt − sentAt; TPOT = (lastContentAt − firstContentAt) / (outputTokens − 1).
 * - latency slope: least squares of (firstContentAt − scheduledAt) on scheduledAt, in ms per s; a
 *   queue building up inside the server or the client makes it rise within the window.
 * - queue growth: last queue gauge sample minus the first.
 */
export function summarizeWindow(input: {
  readonly records: readonly RequestRecord[];
  readonly samples: readonly ContainerSample[];
  readonly startMs: number;
  readonly endMs: number;
  readonly unit: RateUnit;
  readonly oomKilled: boolean;
}): WindowMeasurement & { readonly outputTokensPerS: number; readonly requestsPerS: number } {
  const { records, samples, startMs, endMs } = input;
  const seconds = Math.max(1e-9, (endMs - startMs) / 1000);
  const scheduled = records.filter((r) => r.scheduledAtMs >= startMs && r.scheduledAtMs < endMs);
  const completed = scheduled.filter((r) => r.error === null);
  const failed = scheduled.filter((r) => r.error !== null && r.error.kind !== 'aborted');
  const outputTokens = completed.reduce((a, r) => a + r.outputTokens, 0);
  // Measured like the achieved rate, as arrivals per gap: n arrivals in a window of T seconds
  // at rate r number ⌈r·T⌉, so n / T overstates short windows (7 / 4 s at 1.56 req/s).
  const arrivals = scheduled.map((r) => r.scheduledAtMs).sort((a, b) => a - b);
  const arrivalSpanS = arrivals.length < 2 ? 0 : (arrivals.at(-1)! - arrivals[0]!) / 1000;
  const offeredRequestsPerS = arrivalSpanS > 0 ? (arrivals.length - 1) / arrivalSpanS : scheduled.length / seconds;
  const ends = completed.map((r) => r.endAtMs).sort((a, b) => a - b);
  const spanS = ends.length < 2 ? 0 : (ends.at(-1)! - ends[0]!) / 1000;
  const completionRate =
    spanS > 0 ? (ends.length - 1) / spanS : ends.length === scheduled.length ? offeredRequestsPerS : 0;
  const requestsPerS = completionRate * (scheduled.length === 0 ? 1 : completed.length / scheduled.length);
  const tokensPerRequest = completed.length > 0 ? outputTokens / completed.length : 0;
  const outputTokensPerS = requestsPerS * tokensPerRequest;
  const ok = scheduled.filter((r) => r.error === null && r.sentAtMs !== null && r.firstContentAtMs !== null);
  const ttft = ok.map((r) => r.firstContentAtMs! - r.sentAtMs!);
  const tpot = ok
    .filter((r) => r.outputTokens > 1 && r.lastContentAtMs !== null)
    .map((r) => (r.lastContentAtMs! - r.firstContentAtMs!) / (r.outputTokens - 1));
  const lag = ok.map((r) => [(r.scheduledAtMs - startMs) / 1000, r.firstContentAtMs! - r.scheduledAtMs] as const);
  const cpu = samples.map((s) => s.cpuPercentOfLimit);
  const throttled = samples.flatMap((s) => (s.throttledPercent === undefined ? [] : [s.throttledPercent]));
  const memory = samples.flatMap((s) => (s.memoryBytes === undefined ? [] : [s.memoryBytes]));
  const queue = samples.flatMap((s) => (s.queueDepth === undefined ? [] : [s.queueDepth]));
  const mean = (xs: readonly number[]) => (xs.length === 0 ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length);
  return {
    offeredRate: input.unit === 'requests/s' ? offeredRequestsPerS : offeredRequestsPerS * tokensPerRequest,
    achievedRate: input.unit === 'requests/s' ? requestsPerS : outputTokensPerS,
    requestsPerS,
    outputTokensPerS,
    cpuPercentOfLimit: mean(cpu),
    throttledPercent: mean(throttled),
    memoryPeakBytes: memory.length === 0 ? undefined : Math.max(...memory),
    ttftP95Ms: percentile(ttft, 95),
    ttftP99Ms: percentile(ttft, 99),
    tpotP95Ms: percentile(tpot, 95),
    tpotP99Ms: percentile(tpot, 99),
    latencySlopeMsPerS: slope(lag),
    queueGrowth: queue.length < 2 ? undefined : queue.at(-1)! - queue[0]!,
    errorRatio: scheduled.length === 0 ? 0 : failed.length / scheduled.length,
    requests: scheduled.length,
    oomKilled: input.oomKilled,
  };
}
