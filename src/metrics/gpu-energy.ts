/** The part of a GPU sample the summary reads (hardware/gpu-sampler's GpuSample has these fields). */
export interface GpuReading {
  readonly atMs: number;
  readonly index: number;
  readonly uuid: string | null;
  readonly utilizationPercent: number | null;
  readonly memoryUsedMiB: number | null;
  readonly powerW: number | null;
  readonly smClockMHz: number | null;
}

export interface GpuFigures {
  readonly index: number;
  readonly uuid: string | null;
  /** Samples inside the window. */
  readonly samples: number;
  readonly utilizationMeanPercent: number | null;
  readonly memoryUsedMaxMiB: number | null;
  readonly smClockMeanMHz: number | null;
  /** energyJ / window seconds. */
  readonly powerMeanW: number | null;
  readonly powerMaxW: number | null;
  /** ∫ power dt over the window; null when the GPU reports no power. */
  readonly energyJ: number | null;
}

export interface GpuSummary {
  readonly windowS: number;
  readonly gpus: readonly GpuFigures[];
  /** Σ over GPUs that report power; null when none does. */
  readonly powerMeanW: number | null;
  readonly energyJ: number | null;
  /** energyJ / output tokens of the window; null without energy or tokens. */
  readonly joulesPerOutputToken: number | null;
}

/**
 * ∫ P dt over [startMs, endMs] in joules, P read piecewise linearly between samples (trapezoid rule)
 * and held flat before the first and after the last sample. Samples must be in time order.
 */
export function integratePowerJ(
  points: ReadonlyArray<readonly [atMs: number, watts: number]>,
  startMs: number,
  endMs: number,
): number {
  if (points.length === 0 || endMs <= startMs) return 0;
  const at = (t: number): number => {
    if (t <= points[0]![0]) return points[0]![1];
    for (let i = 1; i < points.length; i++) {
      const [t1, p1] = points[i]!;
      if (t <= t1) {
        const [t0, p0] = points[i - 1]!;
        return t1 === t0 ? p1 : p0 + ((p1 - p0) * (t - t0)) / (t1 - t0);
      }
    }
    return points[points.length - 1]![1];
  };
  // breakpoints: the window's ends and every sample inside it
  const cuts = [startMs, ...points.map(([t]) => t).filter((t) => t > startMs && t < endMs), endMs];
  let joulesMs = 0;
  for (let i = 1; i < cuts.length; i++) joulesMs += ((at(cuts[i - 1]!) + at(cuts[i]!)) / 2) * (cuts[i]! - cuts[i - 1]!);
  return joulesMs / 1000;
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const known = (xs: ReadonlyArray<number | null>) => xs.filter((x): x is number => x !== null);

/**
 * Per-GPU utilisation, memory, clocks and power over the run's window, the energy they drew and the
 * energy per output token (pure). Pass the window throughput was measured over and the output
 * tokens counted in it, so J/token and tokens/s describe the same requests. Null without samples.
 */
export function summarizeGpu(
  readings: readonly GpuReading[],
  window: { readonly startMs: number; readonly endMs: number },
  outputTokens: number,
): GpuSummary | null {
  if (readings.length === 0) return null;
  const windowS = Math.max(0, window.endMs - window.startMs) / 1000;
  const byGpu = new Map<number, GpuReading[]>();
  for (const reading of [...readings].sort((a, b) => a.atMs - b.atMs)) {
    const list = byGpu.get(reading.index) ?? [];
    list.push(reading);
    byGpu.set(reading.index, list);
  }
  const gpus = [...byGpu.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, all]): GpuFigures => {
      const inside = all.filter((r) => r.atMs >= window.startMs && r.atMs <= window.endMs);
      const powered = all.flatMap((r) => (r.powerW === null ? [] : [[r.atMs, r.powerW] as const]));
      const energyJ = powered.length && windowS > 0 ? integratePowerJ(powered, window.startMs, window.endMs) : null;
      const memory = known(inside.map((r) => r.memoryUsedMiB));
      const power = known(inside.map((r) => r.powerW));
      return {
        index,
        uuid: all.find((r) => r.uuid !== null)?.uuid ?? null,
        samples: inside.length,
        utilizationMeanPercent: mean(known(inside.map((r) => r.utilizationPercent))),
        memoryUsedMaxMiB: memory.length ? Math.max(...memory) : null,
        smClockMeanMHz: mean(known(inside.map((r) => r.smClockMHz))),
        powerMeanW: energyJ === null ? null : energyJ / windowS,
        powerMaxW: power.length ? Math.max(...power) : null,
        energyJ,
      };
    });
  const energies = known(gpus.map((g) => g.energyJ));
  const energyJ = energies.length ? energies.reduce((a, b) => a + b, 0) : null;
  return {
    windowS,
    gpus,
    powerMeanW: energyJ === null || windowS === 0 ? null : energyJ / windowS,
    energyJ,
    joulesPerOutputToken: energyJ === null || outputTokens <= 0 ? null : energyJ / outputTokens,
  };
}
