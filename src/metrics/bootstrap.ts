/**
 * Resampling statistics for comparing two runs: a seeded generator, sample percentiles, the
 * percentile bootstrap of a difference, and the Mann–Whitney U rank test. All pure: the same seed
 * gives the same interval on every machine, so a comparison can be repeated exactly.
 */

/** A uniform generator on [0, 1). */
export type Uniform = () => number;

/**
 * mulberry32 (Tommy Ettinger, public domain): a 32-bit state generator, plenty for drawing resample
 * indices, and small enough that metrics/ need not import the load module's generator.
 */
export function seededUniform(seed: number): Uniform {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of ascending `sorted` by linear interpolation between closest ranks
 * (Hyndman & Fan 1996, definition 7, the default of R and NumPy): h = (n − 1)·q,
 * Q = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋ + 1] − x[⌊h⌋]).
 */
export function quantileOfSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const low = Math.floor(h);
  const high = Math.min(n - 1, low + 1);
  return sorted[low]! + (h - low) * (sorted[high]! - sorted[low]!);
}

/**
 * One bootstrap unit per request: the values it contributes (one for TTFT, TPOT or E2E; one per
 * token interval for ITL). Resampling whole requests keeps the intervals of one request together,
 * so their correlation is not mistaken for independent evidence (a cluster bootstrap).
 */
export type Units = readonly (readonly number[])[];

/**
 * A resample as weights on the pooled values sorted once: `values` ascending, value i belongs to
 * unit `unitOf[i]`, which the resample drew `counts[unit]` times; `total` = Σ counts·unit length.
 * Each statistic then walks the sorted values once (no sort per resample), and the mean needs only
 * the per-unit sums, which keeps B = 2000 quick for runs with many requests and tokens.
 */
export interface WeightedSample {
  readonly values: Float64Array;
  readonly unitOf: Uint32Array;
  readonly counts: Float64Array;
  /** Σ and count of each unit's values. */
  readonly unitSums: Float64Array;
  readonly unitSizes: Float64Array;
  readonly total: number;
}

/** A statistic of a weighted sample (a quantile, the mean). */
export type WeightedStatistic = (sample: WeightedSample) => number;

/**
 * Definition 7 on the multiset in which values[i] appears counts[unitOf[i]] times: the values at
 * positions ⌊h⌋ and ⌊h⌋ + 1 of that multiset, h = (total − 1)·q, found by one walk.
 */
export function weightedQuantile(sample: WeightedSample, q: number): number {
  const { values, unitOf, counts, total } = sample;
  if (total === 0) return Number.NaN;
  const h = (total - 1) * q;
  const low = Math.floor(h);
  let covered = 0;
  for (let i = 0; i < values.length; i++) {
    covered += counts[unitOf[i]!]!;
    if (covered <= low) continue;
    // values[i] holds position low; position low + 1 is values[i] too unless low is its last copy
    if (h === low || covered > low + 1) return values[i]!;
    let next = i + 1;
    while (next < values.length && counts[unitOf[next]!] === 0) next++;
    return values[i]! + (h - low) * (values[Math.min(next, values.length - 1)]! - values[i]!);
  }
  return values[values.length - 1]!;
}

/** Σ counts[u]·Σunit u / total: the mean of the resample's pooled values. */
export function weightedMean(sample: WeightedSample): number {
  let sum = 0;
  for (let u = 0; u < sample.counts.length; u++) sum += sample.counts[u]! * sample.unitSums[u]!;
  return sample.total === 0 ? Number.NaN : sum / sample.total;
}

/**
 * The units' values pooled and sorted once, each value tagged with its unit; `resample` draws
 * len(units) units with replacement and returns that resample (valid until the next call).
 */
function resamplerOf(units: Units, random: Uniform): { sample: WeightedSample; resample: () => WeightedSample } {
  const tagged = units.flatMap((unit, u) => unit.map((value) => ({ value, u })));
  tagged.sort((a, b) => a.value - b.value);
  const values = Float64Array.from(tagged, (t) => t.value);
  const unitOf = Uint32Array.from(tagged, (t) => t.u);
  const unitSums = Float64Array.from(units, (unit) => unit.reduce((sum, v) => sum + v, 0));
  const unitSizes = Float64Array.from(units, (unit) => unit.length);
  const n = units.length;
  const sample = { values, unitOf, counts: new Float64Array(n).fill(1), unitSums, unitSizes, total: values.length };
  // one buffer per resampler: a resample is used up before the next one is drawn
  const counts = new Float64Array(n);
  return {
    sample,
    resample: () => {
      counts.fill(0);
      let total = 0;
      for (let i = 0; i < n; i++) {
        const u = Math.floor(random() * n);
        counts[u]! += 1;
        total += unitSizes[u]!;
      }
      return { values, unitOf, counts, unitSums, unitSizes, total };
    },
  };
}

export interface BootstrapOptions {
  /** Resamples B; 2000 by default (Efron & Tibshirani 1993 advise ≥ 1000 for percentile intervals). */
  readonly resamples?: number;
  /** Two-sided confidence level; 0.95 by default. */
  readonly confidence?: number;
  readonly seed?: number;
}

export const DEFAULT_RESAMPLES = 2000;

/** A relative change (candidate / baseline − 1) with its bootstrap interval; NaN where undefined. */
export interface RelativeChange {
  readonly baseline: number;
  readonly candidate: number;
  readonly change: number;
  readonly low: number;
  readonly high: number;
}

/**
 * Percentile bootstrap (Efron & Tibshirani 1993, ch. 13) of the relative change of statistics:
 * each of B resamples draws n₁ baseline and n₂ candidate requests with replacement, independently,
 * and computes θ*_b = s(candidate*) / s(baseline*) − 1 for every statistic s on that one pair of
 * resamples; the interval is the α/2 and 1 − α/2 quantiles of the θ*_b. The point estimate is θ̂
 * on the samples themselves.
 */
export function bootstrapRelativeChanges(
  baseline: Units,
  candidate: Units,
  statistics: readonly WeightedStatistic[],
  options: BootstrapOptions = {},
): RelativeChange[] {
  const random = seededUniform(options.seed ?? 1);
  const cand = resamplerOf(candidate, random);
  const base = resamplerOf(baseline, random);
  const points = statistics.map((statistic) => {
    const b = statistic(base.sample);
    const c = statistic(cand.sample);
    return { baseline: b, candidate: c, change: c / b - 1 };
  });
  if (baseline.length === 0 || candidate.length === 0) {
    return points.map((point) => ({ ...point, low: Number.NaN, high: Number.NaN }));
  }
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const tail = (1 - (options.confidence ?? 0.95)) / 2;
  const draws = statistics.map(() => new Float64Array(resamples));
  for (let i = 0; i < resamples; i++) {
    const c = cand.resample();
    const b = base.resample();
    statistics.forEach((statistic, s) => {
      draws[s]![i] = statistic(c) / statistic(b) - 1;
    });
  }
  return points.map((point, s) => {
    const sorted = draws[s]!.sort();
    return { ...point, low: quantileOfSorted(sorted, tail), high: quantileOfSorted(sorted, 1 - tail) };
  });
}

/** bootstrapRelativeChanges for one statistic. */
export function bootstrapRelativeChange(
  baseline: Units,
  candidate: Units,
  statistic: WeightedStatistic,
  options: BootstrapOptions = {},
): RelativeChange {
  return bootstrapRelativeChanges(baseline, candidate, [statistic], options)[0]!;
}

export interface RankTest {
  /** U of the candidate: the number of (baseline, candidate) pairs with candidate > baseline, ties counting ½. */
  readonly u: number;
  readonly z: number;
  /** Two-sided p-value of the normal approximation. */
  readonly p: number;
}

/**
 * Mann–Whitney U test (Mann & Whitney 1947), two-sided, by the normal approximation with the tie
 * correction (e.g. Siegel & Castellan 1988, §6.4): with n = n₁ + n₂ and the pooled sample ranked
 * (ties get their mean rank), U₂ = R₂ − n₂(n₂ + 1)/2, μ = n₁n₂/2,
 * σ² = n₁n₂/12 · ((n + 1) − Σ(t³ − t) / (n(n − 1))) over the sizes t of the groups of ties,
 * z = (U₂ − μ ∓ ½) / σ with a continuity correction of ½ towards μ, p = 2·(1 − Φ(|z|)).
 */
export function mannWhitneyU(baseline: readonly number[], candidate: readonly number[]): RankTest {
  const n1 = baseline.length;
  const n2 = candidate.length;
  if (n1 === 0 || n2 === 0) return { u: Number.NaN, z: Number.NaN, p: Number.NaN };
  const pooled = [...baseline.map((value) => ({ value, side: 0 })), ...candidate.map((value) => ({ value, side: 1 }))];
  pooled.sort((a, b) => a.value - b.value);
  const n = n1 + n2;
  let candidateRanks = 0;
  let tieTerm = 0;
  for (let start = 0; start < n; ) {
    let end = start;
    while (end + 1 < n && pooled[end + 1]!.value === pooled[start]!.value) end++;
    const rank = (start + end) / 2 + 1;
    const t = end - start + 1;
    tieTerm += t * t * t - t;
    for (let i = start; i <= end; i++) if (pooled[i]!.side === 1) candidateRanks += rank;
    start = end + 1;
  }
  const u = candidateRanks - (n2 * (n2 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u, z: 0, p: 1 };
  const distance = Math.max(0, Math.abs(u - mean) - 0.5);
  const z = (Math.sign(u - mean) * distance) / Math.sqrt(variance);
  return { u, z, p: Math.min(1, 2 * (1 - standardNormalCdf(Math.abs(z)))) };
}

/**
 * Φ(x) through erf, by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): ample for a p-value that is
 * compared against a level such as 0.05.
 */
export function standardNormalCdf(x: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}
