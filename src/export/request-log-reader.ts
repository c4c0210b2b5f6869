import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { RequestRecord } from '../metrics/request-record.js';
import { parseRecordLine } from '../metrics/serialize-record.js';

/**
 * Reads requests.jsonl back one record at a time (times relative to the run's origin), so what is
 * derived from it after a run (requests.csv, Influx points) never holds the whole file.
 */
export async function* readRequestLog(path: string): AsyncGenerator<RequestRecord> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (line.trim() !== '') yield parseRecordLine(line);
  }
}
