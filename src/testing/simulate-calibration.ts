import { type CalibrationPolicy, planNextWindow, type WindowRecord } from '../calibrate/plan-next-window.js';
import type { WindowMeasurement } from '../calibrate/window-verdict.js';
import { seededRandom } from './exact-statistics.js';

/** The policy the simulated calibrations are judged by: CPU band 80–90 %, from 1 req/s, ≤ 10 probes. */
export const SIMULATED_POLICY: CalibrationPolicy = {
  objective: 'cpu',
  cpuBand: { low: 80, high: 90 },
  startRate: 1,
  minRate: 0.05,
  maxRate: 10_000,
  maxWindows: 10,
};

/** A standard normal draw (Box–Muller) from a uniform generator. */
export function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/**
 * The controller replayed against a simulated linear engine: the CPU a window's requests ask for is
 * 100 · r / capacity % of the limit with multiplicative noise of `noise` (sd / mean; 0.08–0.17 on
 * the shared development host; a soak, twice as long, has 1/√2 of it). Past 100 % the engine
 * serves only what fits: CPU reads 100 and throughput falls by the excess, as a CPU quota does
 * (so such a window is judged saturated). Throughput carries 1 % noise besides. Seeded, so a failing draw reproduces. The tests and the confidence bench use it.
 */
export function simulateCalibration(
  capacity: number,
  noise: number,
  seed: number,
  policy: CalibrationPolicy,
): { readonly history: WindowRecord[]; readonly rate: number | undefined; readonly reason: string } {
  const random = seededRandom(seed);
  const history: WindowRecord[] = [];
  for (let step = 0; step < 4 * policy.maxWindows + 10; step += 1) {
    const plan = planNextWindow(history, policy);
    if (plan.action === 'done') return { history, rate: plan.rate, reason: plan.reason };
    if (plan.action === 'fail') return { history, rate: undefined, reason: plan.reason };
    const kind = plan.action === 'try' ? 'probe' : 'soak';
    const measurement = simulateWindow(capacity, kind === 'soak' ? noise / Math.SQRT2 : noise, plan.rate, random);
    history.push({ kind, rate: plan.rate, measurement });
  }
  throw new Error(`seed ${seed}: the controller did not finish`);
}

/** One window of that engine at `rate`, CPU noise `noise` (sd / mean). */
export function simulateWindow(capacity: number, noise: number, rate: number, random: () => number): WindowMeasurement {
  // the CPU the window's requests ask for; past the limit the engine serves only what fits
  const demand = ((100 * rate) / capacity) * (1 + normal(random) * noise);
  const cpu = Math.min(100, demand);
  const achieved = ((rate * cpu) / demand) * (1 + normal(random) * 0.01);
  return {
    offeredRate: rate,
    achievedRate: achieved,
    cpuPercentOfLimit: cpu,
    errorRatio: 0,
    requests: Math.round(rate * 4),
    oomKilled: false,
  };
}
