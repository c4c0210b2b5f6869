import { FloatColumn } from '../../metrics/float-column.js';
import { thinningStep, thinOut } from './chart-spec.js';

/** A per-request chart's points in send order: every `step`-th of the `total` requests it is drawn from. */
export interface SentPoints<P> {
  readonly points: readonly P[];
  readonly total: number;
  readonly step: number;
}

/**
 * Chooses a per-request chart's requests over two reads of requests.jsonl, so a long run's chart
 * needs no array of records: the first read ranks each candidate's send time (16 B a request), the
 * second keeps the few numbers of the chosen ones. They are the requests thinOut keeps of the
 * candidates sorted by send time (ties in file order): every ⌈n / max⌉-th and the last.
 */
export class SentPointPicker<P> {
  private readonly sentAtMs = new FloatColumn();
  private readonly lines = new FloatColumn();
  /** Line → its place among the kept points, known once the first read is over. */
  private slots: Map<number, number> | null = null;
  private points: P[] = [];

  constructor(private readonly max: number) {}

  /** First read: a candidate on `line`, sent at `sentAtMs`. */
  count(line: number, sentAtMs: number): void {
    this.sentAtMs.push(sentAtMs);
    this.lines.push(line);
  }

  /** Between the reads: which lines to keep. */
  plan(): void {
    const order = Uint32Array.from({ length: this.sentAtMs.length }, (_, i) => i);
    order.sort((a, b) => this.sentAtMs.at(a) - this.sentAtMs.at(b) || a - b);
    const kept = thinOut(order, this.max);
    this.slots = new Map(kept.map((candidate, slot) => [this.lines.at(candidate), slot]));
    this.points = new Array<P>(kept.length);
  }

  wants(line: number): boolean {
    return this.slots!.has(line);
  }

  /** Second read: the point of a line wants() chose. */
  keep(line: number, point: P): void {
    const slot = this.slots!.get(line);
    if (slot !== undefined) this.points[slot] = point;
  }

  result(): SentPoints<P> {
    const total = this.sentAtMs.length;
    return { points: this.points, total, step: thinningStep(total, this.max) };
  }
}
