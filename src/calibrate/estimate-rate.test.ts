import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SIMULATED_POLICY, simulateCalibration } from '../testing/simulate-calibration.js';
import { estimateRate, formatRateEstimate, invertRegression, studentT975 } from './estimate-rate.js';
import { type CalibrationPolicy, planNextWindow, type WindowRecord } from './plan-next-window.js';
import type { WindowMeasurement } from './window-verdict.js';

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= 1e-9 * Math.abs(expected), `${what}: ${actual} vs ${expected}`);

const policy: CalibrationPolicy = SIMULATED_POLICY;

function window(rate: number, cpu: number, extra: Partial<WindowMeasurement> = {}): WindowRecord {
  const measurement = {
    offeredRate: rate,
    achievedRate: rate,
    cpuPercentOfLimit: cpu,
    errorRatio: 0,
    requests: 40,
    oomKilled: false,
    ...extra,
  };
  return { kind: 'probe', rate, measurement };
}

describe('invertRegression', () => {
  test('matches the hand-computed Fieller limits of an unweighted line', () => {
    // x = 4, 6, 8, 10; y = 40, 58, 71, 89. x̄ = 7, ȳ = 64.5, Sxx = 20, Sxy = 160: b = 8, a = 8.5.
    // Residuals −0.5, 1.5, −1.5, 0.5: SSE = 5, s² = 5 / 2, t₀.₉₇₅(2) = 4.3026527297.
    // y₀ = 90: x̂₀ = 7 + 25.5 / 8 = 10.1875; g = t² s² / (b² Sxx) = 0.0361578525632712;
    // half-spread (t s / b) √(d² / Sxx + (1 − g) / n) = 0.850377 · √(0.508008 + 0.240961) = 0.735940;
    // limits 7 + (3.1875 ∓ 0.735940) / (1 − g) = 9.54351861927897, 11.0706349710718.
    const points = [40, 58, 71, 89].map((y, i) => ({ x: 4 + 2 * i, y, w: 1 }));
    const fit = invertRegression(points, 90);
    assert.ok(typeof fit !== 'string', String(fit));
    close(fit.fit.slope, 8, 'slope');
    close(fit.fit.intercept, 8.5, 'intercept');
    close(fit.fit.residualSd, Math.sqrt(2.5), 's');
    close(fit.rate, 10.1875, 'rate');
    close(fit.low, 9.54351861927897, 'low');
    close(fit.high, 11.0706349710718, 'high');
    close(fit.relativeHalfWidth, (11.0706349710718 - 9.54351861927897) / 2 / 10.1875, 'precision');
  });

  test('says why there is no interval: too few windows, no spread, a flat line', () => {
    assert.match(String(invertRegression([{ x: 1, y: 10, w: 1 }], 90)), /1 usable window/);
    const same = [1, 2, 3].map((y) => ({ x: 5, y, w: 1 }));
    assert.match(String(invertRegression(same, 90)), /one rate/);
    const falling = [3, 2, 1].map((y, i) => ({ x: i + 1, y, w: 1 }));
    assert.match(String(invertRegression(falling, 90)), /did not rise/);
    // slope 1 ± a lot: g ≥ 1
    const noisy = [10, 40, 5, 45].map((y, i) => ({ x: i + 1, y, w: 1 }));
    assert.match(String(invertRegression(noisy, 90)), /unbounded/);
  });
});

test('formats the estimate, or why there is none, in one line', () => {
  const estimate = estimateRate(
    [window(2, 25), window(4, 47), window(5, 60), window(9, 99, { achievedRate: 7 }), window(6, 68), window(6.5, 77)],
    policy,
  );
  assert.equal(
    formatRateEstimate(estimate, 0.05),
    'CPU reaches 90 % at 7.33 req/s (95 % interval 6.53–8.55, ±13.8 %, 6 windows; asked ±5.0 %)',
  );
  assert.equal(
    formatRateEstimate({
      status: 'unavailable',
      reason: '2 usable windows; a line with an interval needs 3',
      windows: 2,
    }),
    'no interval: 2 usable windows; a line with an interval needs 3',
  );
});

test('studentT975 agrees with the table and continues smoothly past 30', () => {
  assert.equal(studentT975(1), 12.7062047362);
  assert.equal(studentT975(30), 2.0422724563);
  assert.ok(Math.abs(studentT975(40) - 2.021075390306273) < 1e-7);
  assert.ok(Math.abs(studentT975(120) - 1.9799304050824402) < 1e-7);
  assert.throws(() => studentT975(0), RangeError);
});

describe('estimateRate', () => {
  test('fits CPU on the served rate with weights 1 / rate², saturated windows included, soaks and failures not', () => {
    // Served rates 2, 4, 5, 6, 7, 6.5 with CPU 25, 47, 60, 68, 99, 77: the 9 req/s window saturated
    // and served 7; the window with half its requests failed and the soak are left out. Weighted
    // least squares with w = 1 / x², t₀.₉₇₅(4) = 2.7764451052, Fieller limits (computed to 30 digits):
    // a = −0.126246900617018, b = 12.2917963166075, s = 1.11343481118421, g = 0.0489349522005095.
    const history: WindowRecord[] = [
      window(2, 25),
      window(4, 47),
      window(5, 60),
      window(9, 99, { achievedRate: 7 }),
      window(6, 68),
      window(6.5, 77),
      window(7.5, 70, { errorRatio: 0.5 }),
      { ...window(6.5, 95), kind: 'soak' },
    ];
    const estimate = estimateRate(history, policy);
    assert.equal(estimate.status, 'estimated', JSON.stringify(estimate));
    if (estimate.status !== 'estimated') return;
    assert.equal(estimate.windows, 6);
    assert.equal(estimate.targetCpuPercent, 90);
    close(estimate.fit.slope, 12.291796316607495, 'slope');
    close(estimate.fit.intercept, -0.12624690061701763, 'intercept');
    close(estimate.fit.residualSd, 1.1134348111842094, 's');
    close(estimate.rate, 7.332227493783564, 'rate');
    close(estimate.low, 6.526677394571143, 'low');
    close(estimate.high, 8.549563867964245, 'high');
    close(estimate.relativeHalfWidth, (8.549563867964245 - 6.526677394571143) / 2 / 7.332227493783564, 'precision');
  });

  test('gives no interval when saturation comes before the band top', () => {
    // CPU 30–45 % while throughput stops at 6 req/s: the line meets 90 % far above the saturated rate
    const history = [
      window(2, 15),
      window(4, 30),
      window(5, 37),
      window(6, 45),
      window(6.5, 47, { achievedRate: 5.9 }),
    ];
    const estimate = estimateRate(history, policy);
    assert.equal(estimate.status, 'unavailable');
    assert.match(estimate.status === 'unavailable' ? estimate.reason : '', /saturation at 6\.50 comes before/);
  });
});

describe('the interval on simulated calibrations', () => {
  test('holds the true knee in at least 90 % of 200 seeded calibrations at 10 % noise', () => {
    const capacity = 7.5;
    const truth = 0.9 * capacity;
    let inside = 0;
    let estimated = 0;
    for (let seed = 1; seed <= 200; seed += 1) {
      const { history } = simulateCalibration(capacity, 0.1, seed, policy);
      const estimate = estimateRate(history, policy);
      if (estimate.status !== 'estimated') continue;
      estimated += 1;
      if (estimate.low <= truth && truth <= estimate.high) inside += 1;
    }
    assert.ok(inside >= 180, `true knee inside ${inside} of 200 intervals (${estimated} estimated)`);
  });
});

describe('--precision', () => {
  const capacity = 7.5;
  const truth = 0.9 * capacity;

  test('keeps measuring near the estimate until the interval is as narrow as asked, or the budget is spent', () => {
    const asked = { ...policy, precision: 0.05, maxWindows: 30 };
    let reached = 0;
    for (let seed = 1; seed <= 50; seed += 1) {
      const plain = simulateCalibration(capacity, 0.1, seed, policy);
      const precise = simulateCalibration(capacity, 0.1, seed, asked);
      const estimate = estimateRate(precise.history, asked);
      const probes = precise.history.filter((w) => w.kind === 'probe').length;
      assert.ok(probes <= 30, `seed ${seed}: ${probes} probes`);
      if (estimate.status === 'estimated' && estimate.relativeHalfWidth <= 0.05) {
        reached += 1;
      } else {
        assert.equal(probes, 30, `seed ${seed}: stopped early at ${JSON.stringify(estimate)}`);
      }
      // the same search, then more windows: never fewer than without --precision
      assert.ok(probes >= plain.history.filter((w) => w.kind === 'probe').length);
    }
    assert.ok(reached >= 40, `±5 % reached in ${reached} of 50 within 30 windows`);
  });

  test('the narrower interval still holds the true knee in at least 90 % of 200 calibrations', () => {
    const asked = { ...policy, precision: 0.04, maxWindows: 30 };
    let inside = 0;
    for (let seed = 1; seed <= 200; seed += 1) {
      const estimate = estimateRate(simulateCalibration(capacity, 0.1, seed, asked).history, asked);
      if (estimate.status === 'estimated' && estimate.low <= truth && truth <= estimate.high) inside += 1;
    }
    assert.ok(inside >= 180, `true knee inside ${inside} of 200 intervals`);
  });

  test('says why it measures again, and that the precision was reached', () => {
    const asked = { ...policy, precision: 0.05, maxWindows: 30 };
    const { history } = simulateCalibration(capacity, 0.1, 3, asked);
    const probes = history.filter((w) => w.kind === 'probe');
    const reasons = probes.map((_, i) => planNextWindow(probes.slice(0, i), asked).reason);
    assert.ok(
      reasons.some((r) =>
        /CPU reaches 90 % at [\d.]+ \(95 % interval [\d.]+–[\d.]+, ±[\d.]+ %, \d+ windows\) is wider than ±5\.0 %: one more window/.test(
          r,
        ),
      ),
      reasons.join('\n'),
    );
    const last = planNextWindow(probes, { ...asked, soak: false });
    assert.equal(last.action, 'done');
    assert.match(last.reason, /within ±5\.0 %|window budget spent at/);
  });

  test('stops at once when the interval is already narrow enough', () => {
    const loose = { ...policy, precision: 0.5 };
    const plain = simulateCalibration(capacity, 0.1, 7, policy);
    const outcome = simulateCalibration(capacity, 0.1, 7, loose);
    assert.equal(outcome.history.length, plain.history.length);
    assert.equal(outcome.rate, plain.rate);
  });
});
