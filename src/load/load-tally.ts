import type { RequestRecord } from '../metrics/request-record.js';
import { InvalidUsageTally } from '../metrics/summarize-run.js';
import { SendLateness } from './self-check.js';

/**
 * What the load runner itself keeps of the records passing through it: their count, the next free
 * id, the send lateness its self-check reads and the invalid-usage warning, and the records
 * themselves only when a caller asked for them (`keepRecords`: short calibration windows, tests).
 */
export class LoadTally {
  requests = 0;
  nextId = 0;
  readonly lateness = new SendLateness();
  private readonly invalidUsage = new InvalidUsageTally();
  private readonly kept: RequestRecord[] | null;

  constructor(
    keepRecords: boolean,
    /** Closed loops have no schedule to be late for: their lateness is not kept. */
    private readonly openLoop: boolean,
  ) {
    this.kept = keepRecords ? [] : null;
  }

  add(record: RequestRecord): void {
    this.requests++;
    if (record.id >= this.nextId) this.nextId = record.id + 1;
    if (this.openLoop) this.lateness.add(record);
    this.invalidUsage.add(record);
    this.kept?.push(record);
  }

  warnings(): string[] {
    return this.invalidUsage.warnings();
  }

  /** The kept records by id (as they were scheduled); absent unless asked for. */
  records(): { records?: RequestRecord[] } {
    return this.kept ? { records: this.kept.sort((a, b) => a.id - b.id) } : {};
  }
}
