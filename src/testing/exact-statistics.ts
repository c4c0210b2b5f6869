import assert from 'node:assert/strict';
import { type DistributionSummary, REPORTED_PERCENTILES } from '../metrics/latency-histogram.js';

/** Seeded PRNG (mulberry32) so failures reproduce. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The exact, slow reference: nearest-rank percentile, the value at rank ⌈p/100 · n⌉ of the sorted
 * samples, with the rank computed in integers (p in thousandths) so no float rounding moves it.
 */
export function exactPercentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((Math.round(p * 1000) * sorted.length) / 100_000));
  return sorted[rank - 1]!;
}

/** HDR with 3 significant digits: each value within 1/1024 relative (plus the 1 µs recording grid). */
export function assertWithinHdrPrecision(actual: number | null, exact: number, what: string): void {
  assert.notEqual(actual, null, what);
  const tolerance = exact / 1000 + 0.001;
  assert.ok(Math.abs(actual! - exact) <= tolerance, `${what}: HDR ${actual} vs exact ${exact} (±${tolerance})`);
}

export function assertSummaryMatches(summary: DistributionSummary, values: readonly number[], what: string): void {
  const sorted = [...values].sort((a, b) => a - b);
  assert.equal(summary.count, sorted.length, `${what} count`);
  for (const [field, p] of REPORTED_PERCENTILES) {
    assertWithinHdrPrecision(summary[field], exactPercentile(sorted, p), `${what} ${field}`);
  }
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  const std = Math.sqrt(sorted.reduce((a, b) => a + (b - mean) ** 2, 0) / sorted.length);
  assertWithinHdrPrecision(summary.mean, mean, `${what} mean`);
  assertWithinHdrPrecision(summary.std, std, `${what} std`);
  assertWithinHdrPrecision(summary.min, sorted[0]!, `${what} min`);
  assertWithinHdrPrecision(summary.max, sorted.at(-1)!, `${what} max`);
}
