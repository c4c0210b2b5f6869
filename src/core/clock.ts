import { performance } from 'node:perf_hooks';

/**
 * One monotonic clock for every measurement. Readings are milliseconds as doubles from
 * `performance.now()` (sub-microsecond resolution, immune to NTP steps). A run keeps one
 * wall-clock anchor so monotonic readings can be turned into timestamps for storage.
 */
export interface Clock {
  /** Monotonic milliseconds since an arbitrary origin. */
  nowMs(): number;
}

export const monotonicClock: Clock = { nowMs: () => performance.now() };

export interface WallAnchor {
  readonly monotonicMs: number;
  readonly epochMs: number;
}

export function anchorWallClock(clock: Clock = monotonicClock): WallAnchor {
  return { monotonicMs: clock.nowMs(), epochMs: Date.now() };
}

export function toEpochMs(anchor: WallAnchor, monotonicMs: number): number {
  return anchor.epochMs + (monotonicMs - anchor.monotonicMs);
}

export function sleepMs(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
