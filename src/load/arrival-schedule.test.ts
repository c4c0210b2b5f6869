import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  constantRateSchedule,
  poissonSchedule,
  rateProfileSchedule,
  shardSchedule,
  takeArrivals,
} from './arrival-schedule.js';

test('a constant rate schedules absolute times n / rate', () => {
  assert.deepEqual(takeArrivals(constantRateSchedule(4), 5), [0, 250, 500, 750, 1000]);
});

test('a linear ramp matches a slow exact reference (bisection on the area under the rate)', () => {
  const from = 2;
  const to = 50;
  const durationS = 10;
  const fast = takeArrivals(rateProfileSchedule([{ fromRate: from, toRate: to, durationS }]), 1000);
  const area = (t: number) => from * t + (((to - from) / durationS) * (t * t)) / 2;
  const reference = (n: number) => {
    let lo = 0;
    let hi = durationS;
    for (let i = 0; i < 200; i++) {
      const mid = (lo + hi) / 2;
      if (area(mid) < n) lo = mid;
      else hi = mid;
    }
    return hi * 1000;
  };
  assert.equal(fast.length, Math.ceil(area(durationS)));
  for (const [n, at] of fast.entries()) {
    assert.ok(Math.abs(at - reference(n)) < 1e-6, `arrival ${n}: ${at} vs ${reference(n)}`);
  }
});

test('a ramp down to a steady rate continues at the steady rate', () => {
  const times = takeArrivals(
    rateProfileSchedule([
      { fromRate: 10, toRate: 0, durationS: 1 },
      { fromRate: 5, toRate: 5, durationS: Number.POSITIVE_INFINITY },
    ]),
    8,
  );
  assert.equal(times.length, 8);
  assert.ok(times.slice(1).every((t, i) => t > times[i]!));
  assert.ok(Math.abs(times[7]! - times[6]! - 200) < 1e-9);
});

test('Poisson arrivals are seeded and statistically sane', () => {
  const a = takeArrivals(poissonSchedule(20, 42), 20_000);
  const b = takeArrivals(poissonSchedule(20, 42), 20_000);
  const c = takeArrivals(poissonSchedule(20, 43), 20_000);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  const gaps = a.slice(1).map((t, i) => t - a[i]!);
  const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
  const variance = gaps.reduce((s, g) => s + (g - mean) ** 2, 0) / gaps.length;
  // Exponential with rate 20/s: mean 50 ms, std 50 ms (coefficient of variation 1).
  assert.ok(Math.abs(mean - 50) < 1.5, `mean ${mean}`);
  assert.ok(Math.abs(Math.sqrt(variance) / mean - 1) < 0.05, `cv ${Math.sqrt(variance) / mean}`);
  // P(gap > mean) = e^-1 ≈ 0.368
  const above = gaps.filter((g) => g > 50).length / gaps.length;
  assert.ok(Math.abs(above - Math.exp(-1)) < 0.015, `share above mean ${above}`);
  // Counts in 1 s windows: Poisson(20) has variance 20.
  const counts = new Array(Math.floor(a.at(-1)! / 1000)).fill(0);
  for (const t of a) if (t < counts.length * 1000) counts[Math.floor(t / 1000)]++;
  const countMean = counts.reduce((s, n) => s + n, 0) / counts.length;
  const countVar = counts.reduce((s, n) => s + (n - countMean) ** 2, 0) / counts.length;
  assert.ok(Math.abs(countVar / countMean - 1) < 0.2, `dispersion ${countVar / countMean}`);
});

test('shards interleave into exactly the unsharded schedule', () => {
  const whole = takeArrivals(poissonSchedule(100, 7), 30);
  const shards = [0, 1, 2].map((index) => takeArrivals(shardSchedule(poissonSchedule(100, 7), index, 3), 10));
  const merged = shards.flat().sort((x, y) => x - y);
  assert.deepEqual(merged, whole);
});
