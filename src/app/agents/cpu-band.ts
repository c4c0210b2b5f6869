import type { StatsSummary } from '../../runtime/sample-stats.js';
import type { Store } from '../../store/store-types.js';

/** A CPU band in percent of the container's CPU limit, as kitt calibrate judges windows. */
export interface CpuBand {
  readonly low: number;
  readonly high: number;
  /** `calibration <run id>` when read from the store, `default` when it is calibrate's default. */
  readonly from: string;
}

/** Whether the engine's mean CPU over the run stayed in the band its rate was calibrated for. */
export interface CpuVerdict {
  readonly band: CpuBand;
  readonly meanCpuPercentOfLimit: number;
  readonly verdict: 'inside' | 'below' | 'above';
}

/** kitt calibrate's --target-cpu default. */
export const DEFAULT_CPU_BAND: CpuBand = { low: 80, high: 90, from: 'default' };

/** The band of the latest calibration of this engine and limits, else calibrate's default. */
export async function calibrationBand(store: Store, engine: string, limitsKey: string): Promise<CpuBand> {
  const calibration = await store.latestCalibration(engine, limitsKey).catch(() => undefined);
  const band = (calibration?.report as { cpuBand?: { low?: unknown; high?: unknown } } | undefined)?.cpuBand;
  if (typeof band?.low === 'number' && typeof band.high === 'number') {
    return { low: band.low, high: band.high, from: `calibration ${calibration!.runId ?? calibration!.id}` };
  }
  return DEFAULT_CPU_BAND;
}

/** The verdict on the mean CPU of the run's samples; undefined without samples. */
export function judgeCpu(stats: StatsSummary | null, band: CpuBand): CpuVerdict | undefined {
  if (!stats || stats.sampleCount === 0) return undefined;
  const mean = stats.cpuPercentOfLimit.mean;
  return {
    band,
    meanCpuPercentOfLimit: mean,
    verdict: mean < band.low ? 'below' : mean > band.high ? 'above' : 'inside',
  };
}
