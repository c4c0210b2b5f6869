import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../testing/exact-statistics.js';
import { normal, SIMULATED_POLICY, simulateCalibration } from '../testing/simulate-calibration.js';
import { estimateRate } from './estimate-rate.js';
import { acrossRuns, measureHostDrift } from './host-drift.js';

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= 1e-9 * Math.abs(expected), `${what}: ${actual} vs ${expected}`);

test('drift is the earlier estimates’ relative scatter, from two calibrations on', () => {
  assert.equal(measureHostDrift([10]), undefined);
  // rates 9, 10, 11: s² = (0.01 + 0 + 0.01) / 2 = 0.01
  const drift = measureHostDrift([9, 10, 11]);
  assert.equal(drift?.calibrations, 3);
  close(drift!.relativeSd, 0.1, 's');
  const steady = measureHostDrift([10, 10]);
  assert.equal(steady?.relativeSd, 0);
});

test('across runs, each side of the interval is widened in quadrature by t(n − 1) · s · rate', () => {
  const estimate = {
    status: 'estimated' as const,
    rate: 10,
    low: 9,
    high: 11.5,
    relativeHalfWidth: 0.125,
    confidence: 0.95 as const,
    targetCpuPercent: 90,
    windows: 8,
    fit: { intercept: 0, slope: 9, residualSd: 1, t: 2.447 },
  };
  const widened = acrossRuns(estimate, { calibrations: 3, relativeSd: 0.1 });
  const widen = 4.302652729911275 * 0.1 * 10; // t(2) = 4.3027
  close(widened.low, 10 - Math.hypot(1, widen), 'low');
  close(widened.high, 10 + Math.hypot(1.5, widen), 'high');
  const same = acrossRuns(estimate, { calibrations: 5, relativeSd: 0 });
  assert.deepEqual([same.low, same.high], [9, 11.5], 'no drift: the calibration’s own interval');
});

test('on a host that drifts 5 % between runs, the widened interval holds the next run’s knee where the own one misses', () => {
  const policy = SIMULATED_POLICY;
  const random = seededRandom(11);
  let own = 0;
  let across = 0;
  let trials = 0;
  for (let series = 0; series < 200; series++) {
    // five earlier calibrations, then this one; the knee to hold is a seventh run's, on its own draw
    const knees = Array.from({ length: 7 }, () => 0.9 * 7.5 * (1 + 0.05 * normal(random)));
    const estimates = knees.slice(0, 6).map((knee, run) => {
      const estimate = estimateRate(
        simulateCalibration(knee / 0.9, 0.1, series * 10 + run + 1, policy).history,
        policy,
      );
      return estimate.status === 'estimated' ? estimate : undefined;
    });
    const current = estimates[5];
    const earlier = estimates.slice(0, 5).filter((e) => e !== undefined);
    const drift = measureHostDrift(earlier.map((e) => e.rate));
    if (!current || !drift) continue;
    trials++;
    const next = knees[6]!;
    if (current.low <= next && next <= current.high) own++;
    const widened = acrossRuns(current, drift);
    if (widened.low <= next && next <= widened.high) across++;
  }
  assert.ok(trials >= 180, `${trials} series estimated`);
  assert.ok(across >= 0.92 * trials, `the next run's knee inside the widened interval in ${across} of ${trials}`);
  assert.ok(across >= own, `widened ${across} vs own ${own} of ${trials}`);
});
