import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { RequestRecord } from '../metrics/request-record.js';
import { parseRecordLine } from '../metrics/serialize-record.js';

/**
 * requests.jsonl's non-empty lines, one at a time and unparsed, for a reader that parses only the
 * lines it needs (the report's second pass keeps a few thousand of a million).
 */
export async function* readRequestLogLines(path: string): AsyncGenerator<string> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (line.trim() !== '') yield line;
  }
}

/**
 * Reads requests.jsonl back one record at a time (times relative to the run's origin), so what is
 * derived from it after a run (requests.csv, Influx points, report.html) never holds the whole file.
 */
export async function* readRequestLog(path: string): AsyncGenerator<RequestRecord> {
  for await (const line of readRequestLogLines(path)) yield parseRecordLine(line);
}
