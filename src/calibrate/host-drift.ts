import { formatPercent, type RateEstimate, studentT975 } from './estimate-rate.js';

/**
 * A calibration's interval says where the band top's rate lay *during that calibration*. The host
 * itself moves between runs (other work, thermal state, noisy neighbours), so the rate another run
 * finds tomorrow can lie outside it however many windows were measured. Earlier calibrations of
 * the same engine, limits and model say how far: s, the standard deviation of their estimates
 * relative to their mean, holds the host's drift and each estimate's own error together. The
 * interval for another run is the calibration's own, widened in quadrature by t(n − 1) · s · rate
 * on each side (Student's t: s comes from n runs). Needs two earlier estimates.
 *
 * Why this and not the textbook split: subtracting each earlier run's own error from s² (to leave
 * the drift alone) made s zero in about one series of six and held the next run's knee in 179 of
 * 200 simulated series (5 % drift, 10 % window noise; host-drift.test.ts); doubling that drift for
 * two runs' worth gave 179 too; s as it is gives 188 of 200 (94 %), the nominal 95 % within noise,
 * against 133 for the calibration's own interval.
 */
export interface HostDrift {
  /** Earlier calibrations it is measured from. */
  readonly calibrations: number;
  /** s: the earlier estimates' standard deviation, relative to their mean (0.05 = 5 %). */
  readonly relativeSd: number;
}

/** The interval for the rate another calibration on this host would find. */
export interface AcrossRuns {
  readonly low: number;
  readonly high: number;
  readonly relativeHalfWidth: number;
  readonly drift: HostDrift;
}

/** The host's run-to-run drift from earlier calibrations' estimated rates; undefined with fewer than two. */
export function measureHostDrift(earlierRates: readonly number[]): HostDrift | undefined {
  const usable = earlierRates.filter((rate) => rate > 0 && Number.isFinite(rate));
  const n = usable.length;
  if (n < 2) return undefined;
  const mean = usable.reduce((sum, rate) => sum + rate, 0) / n;
  const variance = usable.reduce((sum, rate) => sum + (rate / mean - 1) ** 2, 0) / (n - 1);
  return { calibrations: n, relativeSd: Math.sqrt(variance) };
}

/** The estimate's interval widened by the host's drift (see the module comment). */
export function acrossRuns(estimate: Extract<RateEstimate, { status: 'estimated' }>, drift: HostDrift): AcrossRuns {
  const widen = studentT975(drift.calibrations - 1) * drift.relativeSd * estimate.rate;
  const low = estimate.rate - Math.hypot(estimate.rate - estimate.low, widen);
  const high = estimate.rate + Math.hypot(estimate.high - estimate.rate, widen);
  return { low: Math.max(0, low), high, relativeHalfWidth: (high - Math.max(0, low)) / 2 / estimate.rate, drift };
}

/**
 * One line: "another run on this host: 6.10–8.92 (±18.7 %; 5 earlier calibrations scatter 5.1 %)",
 * or why that is not known yet.
 */
export function formatAcrossRuns(across: AcrossRuns | undefined, earlier: number, unit = 'req/s'): string {
  if (!across) {
    return earlier < 2
      ? `not known yet: ${earlier} earlier calibration${earlier === 1 ? '' : 's'} of this engine, limits and model (2 are needed to see how far the host moves)`
      : 'not known: this calibration has no interval of its own';
  }
  const rate = (r: number) => (r >= 10 ? r.toFixed(1) : r.toPrecision(3));
  return (
    `another run on this host: ${rate(across.low)}–${rate(across.high)} ${unit} (±${formatPercent(across.relativeHalfWidth)}; ` +
    `${across.drift.calibrations} earlier calibrations scatter ${formatPercent(across.drift.relativeSd)})`
  );
}
