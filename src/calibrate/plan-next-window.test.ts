import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seededRandom as seeded } from '../testing/exact-statistics.js';
import { SIMULATED_POLICY } from '../testing/simulate-calibration.js';
import { type CalibrationPolicy, planNextWindow, type WindowPlan, type WindowRecord } from './plan-next-window.js';
import type { WindowMeasurement } from './window-verdict.js';

function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** A synthetic engine: how CPU, throughput and latency respond to an offered rate. */
interface Curve {
  readonly name: string;
  cpu(rate: number): number;
  achieved(rate: number): number;
  ttftP95Ms?(rate: number): number;
  /** The rate a perfect calibration returns under the policy used with this curve. */
  readonly truth: number;
}

const basePolicy: CalibrationPolicy = SIMULATED_POLICY;

/** capacity c: CPU = idle + (100 − idle)·r/c up to 100 %, throughput = min(r, c). */
function linear(capacity: number, idle = 0): Curve {
  return {
    name: `linear c=${capacity} idle=${idle}`,
    cpu: (r) => Math.min(100, idle + ((100 - idle) * r) / capacity),
    achieved: (r) => Math.min(r, capacity),
    truth: ((90 - idle) / (100 - idle)) * capacity,
  };
}

/** A soft knee: CPU = 100 · x / (1 + x^p)^(1/p), x = r / c, a smooth min(x, 1) that bends before the limit. */
function knee(capacity: number, p = 6): Curve {
  const cpu = (r: number) => {
    const x = r / capacity;
    return (100 * x) / (1 + x ** p) ** (1 / p);
  };
  return {
    name: `soft knee c=${capacity} p=${p}`,
    cpu,
    achieved: (r) => Math.min(r, capacity),
    // whichever comes first: CPU crossing 90 %, or throughput falling under 95 % of offered (c / 0.95)
    truth: Math.min(firstCrossing(cpu, 90, capacity * 10), capacity / Math.sqrt(0.95)),
  };
}

/** Throughput plateaus (engine slots) while CPU stays under the band: saturation decides. */
function plateau(capacity: number): Curve {
  return {
    name: `plateau c=${capacity}`,
    cpu: (r) => (60 * Math.min(r, capacity)) / capacity,
    achieved: (r) => Math.min(r, capacity),
    // achieved/offered < 0.95 past c / 0.95; the right answer is anywhere in [c, c/0.95]
    truth: capacity / Math.sqrt(0.95),
  };
}

/** Non-monotone: past the limit CPU falls again (thrashing) while throughput collapses. */
function thrash(capacity: number): Curve {
  return {
    name: `thrash c=${capacity}`,
    cpu: (r) => (r <= capacity ? (100 * r) / capacity : Math.max(50, 100 - (r - capacity) * (200 / capacity))),
    achieved: (r) => (r <= capacity ? r : Math.max(capacity * 0.3, capacity - (r - capacity))),
    truth: 0.9 * capacity,
  };
}

/** Non-monotone wiggle: CPU ripples ±3 points around a linear trend (batching effects). */
function wiggle(capacity: number): Curve {
  return {
    name: `wiggle c=${capacity}`,
    cpu: (r) => Math.min(100, (100 * r) / capacity + 3 * Math.sin(r * 1.7)),
    achieved: (r) => Math.min(r, capacity),
    truth: 0, // computed below as the first crossing of 90 %
  };
}

function firstCrossing(cpu: (r: number) => number, high: number, maxRate: number): number {
  for (let r = 0.001; r < maxRate; r *= 1.0005) if (cpu(r) > high) return r / 1.0005;
  return maxRate;
}

/** An SLO-bound curve: TTFT p95 explodes as utilisation approaches 1 (M/M/1-like: base / (1 − ρ)). */
function queueing(capacity: number, baseMs: number): Curve {
  return {
    name: `queueing c=${capacity}`,
    cpu: (r) => Math.min(100, (40 * r) / capacity),
    achieved: (r) => Math.min(r, capacity),
    ttftP95Ms: (r) => (r >= capacity ? 1e6 : baseMs / (1 - r / capacity)),
    truth: capacity * (1 - baseMs / 500),
  };
}

/**
 * One window of the synthetic engine. Noise: CPU ± `noise` points (1 sd), throughput ± `noise` %,
 * TTFT ± 2·`noise` %. A soak window is several probe windows long, so its noise is halved.
 */
function measure(curve: Curve, rate: number, random: (() => number) | undefined, noise: number): WindowMeasurement {
  const jitter = () => (random ? normal(random) * noise : 0);
  const cpu = Math.max(0, curve.cpu(rate) + jitter());
  const achieved = Math.min(rate, curve.achieved(rate)) * (1 + jitter() / 100);
  const ttft = curve.ttftP95Ms?.(rate);
  return {
    offeredRate: rate,
    achievedRate: achieved,
    cpuPercentOfLimit: cpu,
    ttftP95Ms: ttft === undefined ? undefined : ttft * (1 + jitter() / 50),
    errorRatio: 0,
    requests: Math.round(rate * 10),
    oomKilled: false,
  };
}

interface Outcome {
  readonly plans: WindowPlan[];
  readonly history: WindowRecord[];
  readonly final: WindowPlan;
  readonly probes: number;
}

function calibrate(curve: Curve, policy: CalibrationPolicy, seed?: number, noise = 1): Outcome {
  const random = seed === undefined ? undefined : seeded(seed);
  const history: WindowRecord[] = [];
  const plans: WindowPlan[] = [];
  for (let step = 0; step < 40; step += 1) {
    const plan = planNextWindow(history, policy);
    plans.push(plan);
    if (plan.action === 'done' || plan.action === 'fail') {
      return { plans, history, final: plan, probes: history.filter((w) => w.kind === 'probe').length };
    }
    const kind = plan.action === 'try' ? 'probe' : 'soak';
    const windowNoise = kind === 'soak' ? noise / 2 : noise;
    history.push({ kind, rate: plan.rate, measurement: measure(curve, plan.rate, random, windowNoise) });
  }
  throw new Error('the controller did not finish in 40 steps');
}

function assertConverges(curve: Curve, policy: CalibrationPolicy, outcome: Outcome, within = 0.05): void {
  const { final } = outcome;
  const trace = outcome.plans.map((p) => `${p.action} ${'rate' in p ? p.rate.toFixed(3) : ''} ${p.reason}`).join('\n');
  assert.equal(final.action, 'done', `${curve.name}: ${trace}`);
  if (final.action !== 'done') return;
  const error = final.rate / curve.truth - 1;
  assert.ok(Math.abs(error) <= within, `${curve.name}: ${final.rate} vs truth ${curve.truth} (${trace})`);
  assert.ok(outcome.probes <= policy.maxWindows, `${curve.name}: ${outcome.probes} windows`);
  assert.equal(final.held, true);
}

describe('planNextWindow on synthetic response curves', () => {
  const curves: Curve[] = [
    linear(23.7),
    linear(3.1, 8),
    linear(0.6),
    linear(410, 2),
    knee(12),
    knee(0.8, 4),
    plateau(12),
    plateau(1.4),
    thrash(15),
  ];
  for (const curve of curves) {
    test(`converges within ±5 % of the knee in ≤ 10 windows: ${curve.name}`, () => {
      assertConverges(curve, basePolicy, calibrate(curve, basePolicy));
    });
  }

  test('converges on a non-monotone wiggling CPU curve to below its first crossing of the band', () => {
    const curve = { ...wiggle(20), truth: firstCrossing(wiggle(20).cpu, 90, 100) };
    const outcome = calibrate(curve, basePolicy);
    assertConverges(curve, basePolicy, outcome);
    assert.ok(outcome.final.action === 'done' && curve.cpu(outcome.final.rate) <= 90);
  });

  test('starting far above the knee, backs off using the saturated throughput', () => {
    const curve = linear(4);
    const outcome = calibrate(curve, { ...basePolicy, startRate: 64 });
    assertConverges(curve, basePolicy, outcome);
    assert.equal(outcome.plans[1]!.action, 'try');
    assert.match(outcome.plans[1]!.reason, /back off.*saturated/);
  });

  test('with objective slo, finds the highest rate meeting the TTFT SLO', () => {
    const policy: CalibrationPolicy = { ...basePolicy, objective: 'slo', slo: { ttftP95Ms: 500 } };
    const curve = queueing(10, 100);
    assertConverges(curve, policy, calibrate(curve, policy));
  });

  test('with objective both, stops at whichever of CPU and SLO binds first', () => {
    const policy: CalibrationPolicy = { ...basePolicy, objective: 'both', slo: { ttftP95Ms: 500 } };
    const sloBound = queueing(10, 100); // CPU stays under 40 %: the SLO binds
    assertConverges(sloBound, policy, calibrate(sloBound, policy));
    const cpuBound: Curve = { ...linear(10), ttftP95Ms: () => 50 };
    assertConverges(cpuBound, policy, calibrate(cpuBound, policy));
  });
});

describe('planNextWindow on noisy curves', () => {
  const curves = [linear(23.7), linear(3.1, 8), knee(12), plateau(12), thrash(15)];
  for (const curve of curves) {
    test(`converges within ±5 % on 20 seeded noise draws: ${curve.name}`, () => {
      for (let seed = 1; seed <= 20; seed += 1) {
        const outcome = calibrate(curve, basePolicy, seed);
        assertConverges(curve, basePolicy, outcome);
        const final = outcome.final;
        assert.ok(final.action === 'done');
        // the returned rate was measured good: its averaged CPU never exceeded the band
        const atFinal = outcome.history.filter((w) => w.rate === final.rate);
        const meanCpu = atFinal.reduce((a, w) => a + w.measurement.cpuPercentOfLimit!, 0) / atFinal.length;
        assert.ok(meanCpu <= 90 + 1e-9 || atFinal.some((w) => w.kind === 'soak'), `seed ${seed}: ${meanCpu}`);
      }
    });
  }

  test('confirms a close call near the band edge with a second window at the same rate', () => {
    const curve = linear(10);
    const history: WindowRecord[] = [{ kind: 'probe', rate: 8.95, measurement: measure(curve, 8.95, undefined, 0) }];
    const plan = planNextWindow(history, basePolicy);
    assert.equal(plan.action, 'try');
    assert.ok(plan.action === 'try' && plan.rate === 8.95);
    assert.match(plan.reason, /confirming a close call/);
  });
});

describe('planNextWindow decisions', () => {
  test('starts at the start rate', () => {
    assert.deepEqual(planNextWindow([], basePolicy), {
      action: 'try',
      rate: 1,
      reason: 'first window at the start rate',
    });
  });

  test('fails at once on OOM, naming the rate', () => {
    const m = { ...measure(linear(10), 2, undefined, 0), oomKilled: true };
    const plan = planNextWindow([{ kind: 'probe', rate: 2, measurement: m }], basePolicy);
    assert.equal(plan.action, 'fail');
    assert.match(plan.action === 'fail' ? plan.reason : '', /OOM/);
  });

  test('fails when even the minimum rate is too much', () => {
    const curve = linear(0.01);
    const outcome = calibrate(curve, { ...basePolicy, minRate: 0.5 });
    assert.equal(outcome.final.action, 'fail');
    assert.match(outcome.final.action === 'fail' ? outcome.final.reason : '', /too much/);
  });

  test('soaks lower when the soak does not hold, then reports the rate that held', () => {
    const policy = basePolicy;
    const good = measure(linear(10), 8, undefined, 0);
    const bad = { ...measure(linear(10), 8.6, undefined, 0), cpuPercentOfLimit: 97 };
    const probes: WindowRecord[] = [
      { kind: 'probe', rate: 8.6, measurement: measure(linear(10), 8.6, undefined, 0) },
      { kind: 'probe', rate: 8.8, measurement: { ...bad, offeredRate: 8.8 } },
    ];
    const plan1 = planNextWindow(probes, policy);
    assert.equal(plan1.action, 'soak');
    const afterBadSoak: WindowRecord[] = [...probes, { kind: 'soak', rate: 8.6, measurement: bad }];
    const plan2 = planNextWindow(afterBadSoak, policy);
    // CPU 97 % against the 87.5 % aim: 8.6 · 87.5 / 97 = 7.76
    assert.ok(plan2.action === 'soak' && Math.abs(plan2.rate - (8.6 * 87.5) / 97) < 1e-9, JSON.stringify(plan2));
    assert.match(plan2.reason, /9\.8 % lower/);
    const lower = plan2.rate;
    const plan3 = planNextWindow([...afterBadSoak, { kind: 'soak', rate: lower, measurement: good }], policy);
    assert.ok(plan3.action === 'done' && plan3.held === true && plan3.rate === lower);
    // a second failure steps at least 10 % down, whatever the probes said; a third fails
    const twiceBad: WindowRecord[] = [...afterBadSoak, { kind: 'soak', rate: lower, measurement: bad }];
    const plan4 = planNextWindow(twiceBad, policy);
    assert.ok(plan4.action === 'soak' && plan4.rate <= lower * 0.9 + 1e-9, JSON.stringify(plan4));
    const plan5 = planNextWindow([...twiceBad, { kind: 'soak', rate: plan4.rate, measurement: bad }], policy);
    assert.equal(plan5.action, 'fail');
    assert.equal(planNextWindow(twiceBad, { ...policy, maxSoaks: 2 }).action, 'fail');
  });

  test('a saturated soak soaks again just below the rate it achieved', () => {
    const probes: WindowRecord[] = [
      { kind: 'probe', rate: 10, measurement: { ...measure(linear(20), 10, undefined, 0), cpuPercentOfLimit: 55 } },
      { kind: 'probe', rate: 10.2, measurement: { ...measure(linear(20), 10.2, undefined, 0), achievedRate: 9 } },
    ];
    // CPU well under the band says "2.5 % lower"; achieved 88 % of offered (threshold 95 %) says
    // 10 · 0.88 / 0.95 · 0.975 = 9.03
    const saturated = { ...measure(linear(20), 10, undefined, 0), cpuPercentOfLimit: 57, achievedRate: 8.8 };
    const plan = planNextWindow([...probes, { kind: 'soak', rate: 10, measurement: saturated }], basePolicy);
    assert.ok(plan.action === 'soak' && Math.abs(plan.rate - (10 * 0.88 * 0.975) / 0.95) < 1e-9, JSON.stringify(plan));
    assert.match(plan.reason, /9\.7 % lower/);
  });

  test('a failed soak retries at the next rate measured good when that is a smaller step than the estimate', () => {
    const good = (rate: number, cpu: number) => ({
      ...measure(linear(40), rate, undefined, 0),
      cpuPercentOfLimit: cpu,
    });
    const probes: WindowRecord[] = [
      { kind: 'probe', rate: 16, measurement: good(16, 70) },
      { kind: 'probe', rate: 17.8, measurement: good(17.8, 80.5) },
      { kind: 'probe', rate: 18.4, measurement: good(18.4, 79.5) },
      { kind: 'probe', rate: 18.8, measurement: { ...good(18.8, 92), achievedRate: 15 } },
    ];
    // the soak at 18.4 saturated badly (achieved 78 %): the estimate says 15 % lower (15.6); 17.8 was measured good
    const saturated = { ...good(18.4, 90), achievedRate: 18.4 * 0.78 };
    const plan = planNextWindow([...probes, { kind: 'soak', rate: 18.4, measurement: saturated }], basePolicy);
    assert.ok(plan.action === 'soak' && plan.rate === 17.8, JSON.stringify(plan));
    assert.match(plan.reason, /next rate measured good/);
  });

  test('stops at the maximum rate when nothing is ever bad', () => {
    const outcome = calibrate(linear(1e9), { ...basePolicy, maxRate: 50 });
    assert.ok(outcome.final.action === 'done' && outcome.final.rate === 50);
    assert.match(outcome.plans.at(-2)!.reason, /maximum rate/);
  });

  test('without soak, returns the bracket bottom with held undefined', () => {
    const outcome = calibrate(linear(10), { ...basePolicy, soak: false });
    assert.ok(outcome.final.action === 'done' && outcome.final.held === undefined);
  });

  test('every step carries a reason a person can read', () => {
    for (const curve of [linear(23.7), plateau(12), thrash(15)]) {
      for (const plan of calibrate(curve, basePolicy, 3).plans) {
        assert.ok(plan.reason.length > 10, JSON.stringify(plan));
      }
    }
  });

  test('backs off on saturation even when CPU is under the band', () => {
    const m: WindowMeasurement = {
      offeredRate: 20,
      achievedRate: 12,
      cpuPercentOfLimit: 60,
      errorRatio: 0,
      requests: 200,
      oomKilled: false,
    };
    const plan = planNextWindow([{ kind: 'probe', rate: 20, measurement: m }], basePolicy);
    assert.ok(plan.action === 'try' && plan.rate < 12, JSON.stringify(plan));
    assert.match(plan.reason, /saturated/);
  });
});
