import { monitorEventLoopDelay } from 'node:perf_hooks';

/** How late the event loop ran, ms: 0 when a timer fired exactly when due. */
export interface EventLoopDelay {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/**
 * The timer behind perf_hooks' monitor repeats every `RESOLUTION_MS` and records the time between
 * two of its firings, which is the interval itself plus the delay: an idle loop sampled every 10 ms
 * reads p50 10.2 ms. So kitt samples every 1 ms (the finest libuv timer) and subtracts the
 * interval: delay = recorded − resolution, clamped at 0. Percentiles move with the shift because
 * subtracting a constant keeps the order. A loop blocked for B ms records ≈ B (the next firing was
 * due within 1 ms of the block's start).
 */
const RESOLUTION_MS = 1;

/** Starts sampling the event loop's delay; `stop()` ends it and returns the figures. */
export function startEventLoopDelay(): { stop(): EventLoopDelay } {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  return {
    stop() {
      histogram.disable();
      // an empty histogram answers NaN / a huge min; read it as no delay seen
      const delayMs = (ns: number) =>
        Number.isFinite(ns) && histogram.count > 0 ? Math.max(0, ns / 1e6 - RESOLUTION_MS) : 0;
      return {
        p50Ms: delayMs(histogram.percentile(50)),
        p99Ms: delayMs(histogram.percentile(99)),
        maxMs: delayMs(histogram.max),
      };
    },
  };
}
