import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KittError } from '../core/errors.js';
import { deriveRequestMetrics } from '../metrics/request-metrics.js';
import type { RequestRecord } from '../metrics/request-record.js';
import { parseRecordLine, serializeRecord } from '../metrics/serialize-record.js';
import type { StageSummary } from '../metrics/summarize-stages.js';

/**
 * requests.csv and stages.csv: the run's records and stage rows for spreadsheets and pandas. Times
 * are milliseconds since the run's origin (as in requests.jsonl); derived latencies use the
 * definitions of docs/metrics.md; an empty cell is "not measured".
 */

const REQUEST_COLUMNS = [
  'id',
  'phase',
  'stage',
  'scheduled_at_ms',
  'sent_at_ms',
  'first_content_at_ms',
  'end_at_ms',
  'prompt_tokens',
  'output_tokens',
  'output_token_source',
  'ttft_ms',
  'tpot_ms',
  'itl_max_ms',
  'e2e_ms',
  'queue_ms',
  'outcome',
  'error_kind',
  'error_message',
] as const;

const STAGE_COLUMNS = [
  'stage',
  'slice',
  'kind',
  'unit',
  'offered',
  'achieved',
  'window_s',
  'requests',
  'succeeded',
  'errors',
  'requests_per_s',
  'output_tokens_per_s',
  'ttft_p50_ms',
  'ttft_p90_ms',
  'ttft_p99_ms',
  'tpot_p50_ms',
  'tpot_p90_ms',
  'tpot_p99_ms',
  'itl_p50_ms',
  'itl_p90_ms',
  'itl_p99_ms',
  'e2e_p50_ms',
  'e2e_p90_ms',
  'e2e_p99_ms',
  'goodput_requests_per_s',
  'slo_attainment_percent',
] as const;

/** RFC 4180: a cell with a comma, quote or line break is quoted, quotes doubled. */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' ? String(Math.round(value * 1000) / 1000) : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const csvLine = (cells: readonly (string | number | null | undefined)[]) => `${cells.map(csvCell).join(',')}\n`;

/**
 * requests.csv line by line (header first), so a long run is never one string in memory. Each
 * record goes through its requests.jsonl form first (times relative, rounded to 1 µs), so the CSV
 * written at the end of a run (from requests.jsonl) and one from the records are the same bytes.
 */
export function* requestCsvLines(records: Iterable<RequestRecord>, originMs = 0): Generator<string> {
  yield csvLine(REQUEST_COLUMNS);
  for (const record of records) yield requestCsvLine(record, originMs);
}

/** requestCsvLines from records that arrive one at a time (a requests.jsonl read back). */
export async function* requestCsvLinesFrom(
  records: Iterable<RequestRecord> | AsyncIterable<RequestRecord>,
  originMs = 0,
): AsyncGenerator<string> {
  yield csvLine(REQUEST_COLUMNS);
  for await (const record of records) yield requestCsvLine(record, originMs);
}

function requestCsvLine(raw: RequestRecord, originMs: number): string {
  const record = parseRecordLine(serializeRecord(raw, originMs));
  const m = deriveRequestMetrics(record);
  return csvLine([
    record.id,
    record.phase,
    record.stage,
    record.scheduledAtMs,
    record.sentAtMs,
    record.firstContentAtMs,
    record.endAtMs,
    record.promptTokens,
    record.outputTokens,
    record.outputTokenSource,
    m.ttftMs,
    m.tpotMs,
    m.itlMaxMs,
    m.e2eMs,
    m.queueMs,
    m.outcome,
    record.error?.kind,
    record.error?.message,
  ]);
}

/** stages.csv: one row per stage (docs/metrics.md, "Stages"). */
export function stagesCsv(stages: readonly StageSummary[]): string {
  const rows = stages.map((s) =>
    csvLine([
      s.stage,
      s.slice,
      s.kind,
      s.unit,
      s.offered,
      s.achieved,
      s.windowS,
      s.requests.total,
      s.requests.succeeded,
      s.errors,
      s.requestsPerS,
      s.outputTokensPerS,
      ...(['ttftMs', 'tpotMs', 'itlMs', 'e2eMs'] as const).flatMap((n) => [s[n].p50, s[n].p90, s[n].p99]),
      s.goodputRequestsPerS,
      s.sloAttainmentPercent,
    ]),
  );
  return [csvLine(STAGE_COLUMNS), ...rows].join('');
}

/** Writes requests.csv and stages.csv into `dir`, each beside its name first and renamed into place. */
export async function writeRunCsv(
  dir: string,
  contents: {
    /** The records in the order to write them: an array, or a requests.jsonl read back (readRequestLog). */
    records: Iterable<RequestRecord> | AsyncIterable<RequestRecord>;
    stages: readonly StageSummary[];
    originMs?: number;
  },
): Promise<string[]> {
  try {
    await mkdir(dir, { recursive: true });
    return [
      await writeLines(join(dir, 'requests.csv'), requestCsvLinesFrom(contents.records, contents.originMs ?? 0)),
      await writeLines(join(dir, 'stages.csv'), [stagesCsv(contents.stages)]),
    ];
  } catch (error) {
    throw new KittError('EXPORT_FAILED', `could not write CSV to ${dir}: ${(error as Error).message}`, {
      hint: 'check that the folder is writable and the disk has space',
      cause: error,
    });
  }
}

async function writeLines(path: string, lines: Iterable<string> | AsyncIterable<string>): Promise<string> {
  const tmp = `${path}.${process.pid}.tmp`;
  const out = createWriteStream(tmp);
  const failed = once(out, 'error').then(([error]) => Promise.reject(error));
  failed.catch(() => {});
  try {
    for await (const line of lines) {
      if (!out.write(line)) await Promise.race([once(out, 'drain'), failed]);
    }
    out.end();
    await Promise.race([once(out, 'finish'), failed]);
    await rename(tmp, path);
    return path;
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  } finally {
    out.destroy();
  }
}
