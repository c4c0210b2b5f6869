import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type GpuReading, integratePowerJ, summarizeGpu } from './gpu-energy.js';

const reading = (index: number, atMs: number, powerW: number | null, extra: Partial<GpuReading> = {}): GpuReading => ({
  atMs,
  index,
  uuid: `GPU-${index}`,
  utilizationPercent: 50,
  memoryUsedMiB: 1000,
  powerW,
  smClockMHz: 1980,
  ...extra,
});

/** Slow reference: the same piecewise-linear, held-at-the-ends power curve summed in 1 µs steps. */
function referenceJ(points: ReadonlyArray<readonly [number, number]>, startMs: number, endMs: number): number {
  const at = (t: number) => {
    if (t <= points[0]![0]) return points[0]![1];
    const i = points.findIndex(([ti]) => ti >= t);
    if (i === -1) return points[points.length - 1]![1];
    const [t0, p0] = points[i - 1]!;
    const [t1, p1] = points[i]!;
    return p0 + ((p1 - p0) * (t - t0)) / (t1 - t0);
  };
  const stepMs = 0.001;
  let sum = 0;
  for (let t = startMs + stepMs / 2; t < endMs; t += stepMs) sum += at(t) * stepMs;
  return sum / 1000;
}

test('energy is the integral of power over the window, as a fine sum of the same curve gives', () => {
  const points = [
    [100, 80],
    [600, 300],
    [1100, 310],
    [1600, 120],
  ] as const;
  for (const [start, end] of [
    [0, 2000],
    [350, 1300],
    [700, 800],
  ] as const) {
    const exact = integratePowerJ(points, start, end);
    assert.ok(Math.abs(exact - referenceJ(points, start, end)) < 1e-6, `[${start}, ${end}]`);
  }
  // constant 200 W for 1.5 s
  assert.equal(integratePowerJ([[0, 200]], 500, 2000), 300);
});

test('J per output token and mean power sum the GPUs that report power over the same window', () => {
  const readings = [
    ...[0, 500, 1000, 1500, 2000].map((t) => reading(0, t, 300)),
    ...[0, 500, 1000, 1500, 2000].map((t) => reading(1, t, 100, { utilizationPercent: 10 })),
    // a GPU without a power reading contributes figures but no energy
    ...[0, 1000, 2000].map((t) => reading(2, t, null, { utilizationPercent: null, memoryUsedMiB: null })),
  ];
  const summary = summarizeGpu(readings, { startMs: 0, endMs: 2000 }, 800)!;
  assert.equal(summary.windowS, 2);
  assert.equal(summary.energyJ, 800); // (300 + 100) W × 2 s
  assert.equal(summary.powerMeanW, 400);
  assert.equal(summary.joulesPerOutputToken, 1);
  assert.deepEqual(
    summary.gpus.map((g) => [g.index, g.energyJ, g.powerMeanW, g.utilizationMeanPercent, g.memoryUsedMaxMiB]),
    [
      [0, 600, 300, 50, 1000],
      [1, 200, 100, 10, 1000],
      [2, null, null, null, null],
    ],
  );
});

test('without samples there is no GPU summary, and without power no J/token', () => {
  assert.equal(summarizeGpu([], { startMs: 0, endMs: 1000 }, 10), null);
  const summary = summarizeGpu([reading(0, 10, null)], { startMs: 0, endMs: 1000 }, 10)!;
  assert.equal(summary.energyJ, null);
  assert.equal(summary.joulesPerOutputToken, null);
});
