// Named imports: Node's ESM loader exposes them from this CommonJS package, and unlike a default
// import they also resolve under CommonJS interop (tsx eval, bundlers), where `default` is undefined.
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';

/**
 * The statistics kitt reports for every latency distribution. All values are in the unit the
 * owning field names (`ttftMs.p99` is milliseconds); null when nothing was recorded.
 *
 * Percentiles are HDR nearest-rank percentiles: the value at rank ⌈p/100 · count⌉ of the sorted
 * samples, reported as the upper end of its HDR bucket, so each one is at most 0.1 % (3 significant
 * digits) or 1 µs above the exact nearest-rank value and never below it. mean and std are computed
 * from the buckets, within the same relative precision; std is the population standard deviation.
 */
export interface DistributionSummary {
  readonly count: number;
  readonly mean: number | null;
  readonly std: number | null;
  readonly min: number | null;
  readonly max: number | null;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly p999: number | null;
}

/** The percentiles every summary carries, as [field, percentile]. */
export const REPORTED_PERCENTILES = [
  ['p50', 50],
  ['p90', 90],
  ['p95', 95],
  ['p99', 99],
  ['p999', 99.9],
] as const;

const MICROS_PER_MS = 1000;
const SIGNIFICANT_DIGITS = 3;

function newHdr(): Histogram {
  // The pure-JS build: no WebAssembly instance to initialise, identical results, safe in worker threads.
  return build({
    useWebAssembly: false,
    bitBucketSize: 32,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    autoResize: true,
  });
}

/**
 * A latency histogram in milliseconds, stored as integer microseconds in an HDR histogram with 3
 * significant digits (1 µs resolution below ~2 ms, 0.1 % relative precision above). It merges
 * losslessly (bucket counts add), so workers and runs can each record and a parent can combine
 * them; `encode()` gives the standard compressed base64 HdrHistogram form for crossing worker
 * threads and for storage.
 */
export class LatencyHistogram {
  private constructor(private readonly histogram: Histogram) {}

  static empty(): LatencyHistogram {
    return new LatencyHistogram(newHdr());
  }

  /** Rebuilds a histogram from `encode()`'s output. */
  static decode(encoded: string): LatencyHistogram {
    const decoded = decodeFromCompressedBase64(encoded, 32, false);
    // Copy into a fresh auto-resizing histogram so later records and merges never overflow.
    const histogram = newHdr();
    histogram.add(decoded);
    return new LatencyHistogram(histogram);
  }

  /** Records one duration; negative or non-finite values are clamped to 0 (they cannot occur on a monotonic clock). */
  record(ms: number): void {
    this.histogram.recordValue(toMicros(ms));
  }

  /** Records `count` copies of one duration (a chunk of k tokens yields k equal per-token intervals). */
  recordMany(ms: number, count: number): void {
    if (count > 0) this.histogram.recordValueWithCount(toMicros(ms), count);
  }

  /** Adds every count of `other` into this histogram. */
  merge(other: LatencyHistogram): this {
    this.histogram.add(other.histogram);
    return this;
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** The value at percentile p (0..100) in ms, or null when empty. */
  percentileMs(p: number): number | null {
    if (this.count === 0) return null;
    return this.histogram.getValueAtPercentile(p) / MICROS_PER_MS;
  }

  summarize(): DistributionSummary {
    const h = this.histogram;
    if (h.totalCount === 0) {
      return {
        count: 0,
        mean: null,
        std: null,
        min: null,
        max: null,
        p50: null,
        p90: null,
        p95: null,
        p99: null,
        p999: null,
      };
    }
    const at = (p: number) => h.getValueAtPercentile(p) / MICROS_PER_MS;
    const { mean, std } = meanAndStd(h);
    return {
      count: h.totalCount,
      mean: mean / MICROS_PER_MS,
      std: std / MICROS_PER_MS,
      // Percentile 0 is the lowest equivalent value of the first non-empty bucket, zeros included.
      min: at(0),
      // Like the percentiles, the upper end of its bucket, so a decoded copy reports the same max.
      max: at(100),
      p50: at(50),
      p90: at(90),
      p95: at(95),
      p99: at(99),
      p999: at(99.9),
    };
  }

  encode(): string {
    return encodeIntoCompressedBase64(this.histogram);
  }
}

/** The bucket-level accessors of hdr-histogram-js's JS implementation (public methods, untyped in its .d.ts). */
interface BucketAccess {
  readonly countsArrayLength: number;
  getCountAtIndex(index: number): number;
  valueFromIndex(index: number): number;
  medianEquivalentValue(value: number): number;
}

/**
 * Mean and population standard deviation from the buckets, each bucket taken at its median
 * equivalent value (HdrHistogram's own definition; its getters walk an iterator and cost ~10× more).
 * Two passes over the counts: the mean, then Σ n·(v − mean)², which stays exact when the spread is
 * small next to the mean.
 */
function meanAndStd(histogram: Histogram): { mean: number; std: number } {
  const h = histogram as unknown as BucketAccess;
  const buckets: Array<[value: number, count: number]> = [];
  let count = 0;
  let sum = 0;
  for (let i = 0; i < h.countsArrayLength; i++) {
    const n = h.getCountAtIndex(i);
    if (n === 0) continue;
    const value = h.medianEquivalentValue(h.valueFromIndex(i));
    buckets.push([value, n]);
    count += n;
    sum += n * value;
  }
  const mean = sum / count;
  const squares = buckets.reduce((acc, [value, n]) => acc + n * (value - mean) ** 2, 0);
  return { mean, std: Math.sqrt(squares / count) };
}

function toMicros(ms: number): number {
  if (!Number.isFinite(ms) || ms <= 0) return 0;
  return Math.round(ms * MICROS_PER_MS);
}
