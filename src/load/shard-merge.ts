import type { RequestRecord } from '../metrics/request-record.js';

/** Where the merged stream of a sharded run goes (the main thread's onRecord and onMeasureStart). */
export interface MergeSinks {
  onRecord(record: RequestRecord): void;
  onMeasureStart(stage: number, scheduledAtMs: number): void;
}

interface PendingStage {
  /** Each shard's first measured arrival of the stage, once it said. */
  readonly starts: (number | undefined)[];
  /** Measured records of a ramp stage that came before every shard had said. */
  readonly held: RequestRecord[];
}

/**
 * Merges the record streams of a sharded run's workers into one. A stage's measured phase starts
 * at the first measured arrival over all shards: it is announced once every shard has said its own
 * (or has gone past the stage, or ended), as the minimum of theirs. A ramp's slices count from that
 * start, so measured records of a ramp stage wait here until it is known — a moment, since the
 * shards start together; every other record passes at once. Each worker's messages arrive in
 * order, and a worker runs its stages in order, so a record of a later stage means it is past the
 * earlier ones.
 */
export class ShardMerge {
  private readonly reached: number[];
  private readonly finished: boolean[];
  private readonly pending = new Map<number, PendingStage>();
  private readonly released = new Set<number>();

  constructor(
    private readonly shards: number,
    private readonly ramps: ReadonlySet<number>,
    private readonly sinks: MergeSinks,
  ) {
    this.reached = Array.from({ length: shards }, () => -1);
    this.finished = Array.from({ length: shards }, () => false);
  }

  records(shard: number, records: readonly RequestRecord[]): void {
    for (const record of records) {
      this.reach(shard, record.stage);
      if (record.phase === 'measure' && this.ramps.has(record.stage) && !this.released.has(record.stage)) {
        this.entry(record.stage).held.push(record);
      } else {
        this.sinks.onRecord(record);
      }
    }
    this.release();
  }

  measureStarted(shard: number, stage: number, scheduledAtMs: number): void {
    this.reach(shard, stage);
    this.entry(stage).starts[shard] = scheduledAtMs;
    this.release();
  }

  /** The shard ended: it will say nothing more of any stage. */
  done(shard: number): void {
    this.finished[shard] = true;
    this.release();
  }

  private reach(shard: number, stage: number): void {
    if (stage > this.reached[shard]!) this.reached[shard] = stage;
  }

  private entry(stage: number): PendingStage {
    let found = this.pending.get(stage);
    if (!found) {
      found = { starts: Array.from({ length: this.shards }, () => undefined), held: [] };
      this.pending.set(stage, found);
    }
    return found;
  }

  private release(): void {
    for (const [stage, entry] of this.pending) {
      const settled = entry.starts.every(
        (start, shard) => start !== undefined || this.finished[shard] || this.reached[shard]! > stage,
      );
      if (!settled) continue;
      this.pending.delete(stage);
      this.released.add(stage);
      const starts = entry.starts.filter((start): start is number => start !== undefined);
      if (starts.length > 0) this.sinks.onMeasureStart(stage, Math.min(...starts));
      for (const record of entry.held) this.sinks.onRecord(record);
    }
  }
}
