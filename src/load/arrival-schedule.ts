import { exponential, seededRandom } from './seeded-random.js';

/**
 * Pure arrival schedules: the absolute target time of every request, as milliseconds from the start
 * of the run. The runner waits for each target time (it never accumulates delays), so a late send
 * does not shift the ones after it.
 *
 * Rates are piecewise linear: a list of segments, each moving from `fromRate` to `toRate` (req/s)
 * over `durationS` (the last may be endless). Arrival n (n = 0, 1, ...) happens when the area
 * under the rate curve reaches n, i.e. the first at t = 0 (as k6's arrival-rate executors). Inside a
 * segment that starts with area A0 at rate r0 and slope a = (r1 - r0) / D, the area is
 *
 *   A(τ) = A0 + r0·τ + a·τ²/2      so      τ(m) = 2m / (r0 + sqrt(r0² + 2·a·m)),   m = n - A0
 *
 * (the root of the quadratic written so it stays exact when a → 0 and when r0 = 0).
 */
export interface RateSegment {
  readonly fromRate: number;
  readonly toRate: number;
  /** Seconds; Infinity for the last, endless segment. */
  readonly durationS: number;
}

export interface ArrivalSchedule {
  /** Target offset (ms from run start) of the next arrival; Infinity when the schedule has ended. */
  next(): number;
}

/** Arrivals whose rate follows the segments (constant rate = one endless segment). */
export function rateProfileSchedule(segments: readonly RateSegment[]): ArrivalSchedule {
  let n = 0;
  let segment = 0;
  let segmentStartS = 0;
  let segmentStartArea = 0;
  return {
    next() {
      for (;;) {
        const current = segments[segment];
        if (!current) return Number.POSITIVE_INFINITY;
        const { fromRate: r0, toRate: r1, durationS } = current;
        const slope = Number.isFinite(durationS) ? (r1 - r0) / durationS : 0;
        const segmentArea = Number.isFinite(durationS) ? ((r0 + r1) / 2) * durationS : Number.POSITIVE_INFINITY;
        const m = n - segmentStartArea;
        if (m < segmentArea) {
          const root = Math.sqrt(Math.max(0, r0 * r0 + 2 * slope * m));
          const tauS = m === 0 ? 0 : (2 * m) / (r0 + root);
          n++;
          return (segmentStartS + tauS) * 1000;
        }
        segment++;
        segmentStartS += durationS;
        segmentStartArea += segmentArea;
      }
    },
  };
}

/** Constant rate: arrival n at n / rate seconds. */
export function constantRateSchedule(ratePerS: number): ArrivalSchedule {
  let n = 0;
  return { next: () => (n++ * 1000) / ratePerS };
}

/**
 * Poisson arrivals: exponential gaps with mean 1/rate, from a seeded generator (the first at 0).
 * The same seed always gives the same times.
 */
export function poissonSchedule(ratePerS: number, seed: number): ArrivalSchedule {
  const random = seededRandom(seed);
  let atS = 0;
  let first = true;
  return {
    next() {
      if (first) {
        first = false;
        return 0;
      }
      atS += exponential(random, ratePerS);
      return atS * 1000;
    },
  };
}

/** Worker `index` of `count` takes arrivals index, index + count, ...: the shards interleave exactly. */
export function shardSchedule(schedule: ArrivalSchedule, index: number, count: number): ArrivalSchedule {
  let n = 0;
  return {
    next() {
      for (;;) {
        const at = schedule.next();
        const mine = n % count === index;
        n++;
        if (mine || !Number.isFinite(at)) return at;
      }
    },
  };
}

/** The first `count` target times (tests, plans, benchmarks). */
export function takeArrivals(schedule: ArrivalSchedule, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const at = schedule.next();
    if (!Number.isFinite(at)) break;
    out.push(at);
  }
  return out;
}
