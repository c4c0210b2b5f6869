import type { RequestRecord } from './request-record.js';
import { RunAccumulator } from './run-accumulator.js';
import type { SloBounds, SloTerm } from './slo.js';
import type { RunMetrics, TimeWindow } from './summarize-run.js';

/** A ramp becomes this many rows, equal slices of its measured phase. */
export const RAMP_SLICES = 5;

/**
 * Completion rate = (n − 1) / (last end − first end) over succeeded measured requests, fed one
 * record at a time (see summarize-stages.ts, completionRate).
 */
export class CompletionRate {
  private n = 0;
  private first = Number.POSITIVE_INFINITY;
  private last = Number.NEGATIVE_INFINITY;

  add(r: RequestRecord): void {
    if (r.phase !== 'measure' || r.error !== null || r.sentAtMs === null) return;
    this.n++;
    if (r.endAtMs < this.first) this.first = r.endAtMs;
    if (r.endAtMs > this.last) this.last = r.endAtMs;
  }

  /** Requests per second; null with fewer than two ends apart. */
  value(): number | null {
    return this.n >= 2 && this.last > this.first ? ((this.n - 1) / (this.last - this.first)) * 1000 : null;
  }
}

/** What one row of the stages table is computed from: the summary and the completion rate of its records. */
export interface StageFigures {
  /** The summary over the row's window (null: its records' own first send → last end). */
  summarize(window: TimeWindow | null): RunMetrics;
  readonly completionRate: number | null;
  /** A ramp slice's own window: first schedule → last end of its records (null when it has none). */
  readonly window: TimeWindow | null;
}

/** A slice of a ramp: its records' summary, completion rate and window. */
class SliceAccumulator {
  readonly summary: RunAccumulator;
  readonly completion = new CompletionRate();
  private startMs = Number.POSITIVE_INFINITY;
  private endMs = Number.NEGATIVE_INFINITY;

  constructor(options: AccumulatorOptions) {
    this.summary = new RunAccumulator(options);
  }

  add(record: RequestRecord): void {
    this.summary.add(record);
    this.completion.add(record);
    this.startMs = Math.min(this.startMs, record.scheduledAtMs);
    this.endMs = Math.max(this.endMs, record.endAtMs);
  }

  figures(): StageFigures {
    return {
      summarize: (window) => this.summary.summarize(window ?? undefined),
      completionRate: this.completion.value(),
      window: Number.isFinite(this.startMs) ? { startMs: this.startMs, endMs: this.endMs } : null,
    };
  }
}

interface AccumulatorOptions {
  readonly slo?: SloBounds;
  readonly sloPercentiles?: readonly SloTerm[];
}

/** One stage's accumulators: the whole stage, and for a ramp its slices. */
class StageAccumulator {
  readonly whole: SliceAccumulator;
  private readonly slices: SliceAccumulator[] | null;
  private originMs: number | null = null;

  constructor(
    options: AccumulatorOptions,
    private readonly rampDurationS: number | undefined,
  ) {
    this.whole = new SliceAccumulator(options);
    this.slices =
      rampDurationS === undefined ? null : Array.from({ length: RAMP_SLICES }, () => new SliceAccumulator(options));
  }

  measureStarted(atMs: number): void {
    this.originMs = this.originMs === null ? atMs : Math.min(this.originMs, atMs);
  }

  add(record: RequestRecord): void {
    this.whole.add(record);
    if (!this.slices || record.phase !== 'measure') return;
    // the runner says where the measured phase starts before any of its records; a caller that did
    // not is taken at its first measured record
    this.originMs ??= record.scheduledAtMs;
    const spanMs = (this.rampDurationS! * 1000) / RAMP_SLICES;
    const index = Math.min(RAMP_SLICES - 1, Math.max(0, Math.floor((record.scheduledAtMs - this.originMs) / spanMs)));
    this.slices[index]!.add(record);
  }

  sliceFigures(): StageFigures[] | null {
    return this.slices?.map((slice) => slice.figures()) ?? null;
  }
}

/**
 * The figures of a run's stages fed one record at a time, so the stages table of a long run needs
 * no array of its records: one RunAccumulator and completion rate per stage, and per slice of a
 * ramp. A ramp's slices count from its measured phase's first scheduled arrival, which the load
 * runner announces (measureStarted) before any record of that phase completes; `ramps` says which
 * stages are ramps and how long their measured phase is, as the load plan has it.
 */
export class StagesAccumulator {
  private readonly stages = new Map<number, StageAccumulator>();

  constructor(
    private readonly options: AccumulatorOptions & {
      /** Stage → the ramp's measured durationS, for the stages that are ramps. */
      readonly ramps?: ReadonlyMap<number, number>;
    } = {},
  ) {}

  measureStarted(stage: number, scheduledAtMs: number): void {
    this.stage(stage).measureStarted(scheduledAtMs);
  }

  add(record: RequestRecord): void {
    this.stage(record.stage).add(record);
  }

  /**
   * The RunAccumulator of a stage taken whole: a run of one stage summarises itself with it, so
   * its records are held once (add() feeds it).
   */
  wholeSummary(stage: number): RunAccumulator {
    return this.stage(stage).whole.summary;
  }

  /** The figures of a stage taken whole. */
  wholeFigures(stage: number): StageFigures {
    return this.stage(stage).whole.figures();
  }

  /** The figures of a ramp's RAMP_SLICES slices; null for a stage that is not a ramp. */
  sliceFigures(stage: number): StageFigures[] | null {
    return this.stage(stage).sliceFigures();
  }

  private stage(stage: number): StageAccumulator {
    let found = this.stages.get(stage);
    if (!found) {
      const { slo, sloPercentiles } = this.options;
      found = new StageAccumulator(
        { ...(slo ? { slo } : {}), ...(sloPercentiles ? { sloPercentiles } : {}) },
        this.options.ramps?.get(stage),
      );
      this.stages.set(stage, found);
    }
    return found;
  }
}
