import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { appendFile, mkdir, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { KittError } from '../core/errors.js';
import type { RequestRecord } from '../metrics/request-record.js';
import { serializeRecord } from '../metrics/serialize-record.js';
import type { RunMetrics } from '../metrics/summarize-run.js';

/** What a finished run leaves on disk. */
export interface ResultDirContents {
  /** Written as metrics.json: the run's RunMetrics, or a document that embeds them. */
  readonly metrics: RunMetrics | Record<string, unknown>;
  /** Written as requests.jsonl; absent when a RequestLog already appended them there. */
  readonly records?: Iterable<RequestRecord>;
  readonly summaryMarkdown: string;
  /** The run's start on the monotonic clock; requests.jsonl times are relative to it. Default 0. */
  readonly originMs?: number;
  /** More files by plain name (e.g. `engine.log`, `cross-check.json`): text is written as UTF-8. */
  readonly extraFiles?: Readonly<Record<string, string | Uint8Array>>;
}

export interface WrittenResultDir {
  readonly dir: string;
  readonly files: readonly string[];
}

/**
 * Writes metrics.json, requests.jsonl (streamed, one line per request) and summary.md, plus any
 * extra files, into `dir` (created if missing). Each file is written beside its final name and
 * renamed into place, so a reader never sees half a file and an interrupted run leaves no torn one.
 */
export async function writeResultDir(dir: string, contents: ResultDirContents): Promise<WrittenResultDir> {
  try {
    await mkdir(dir, { recursive: true });
    const { records } = contents;
    const files = [
      await atomically(dir, 'metrics.json', (tmp) => writeFile(tmp, `${JSON.stringify(contents.metrics, null, 2)}\n`)),
      ...(records
        ? [await atomically(dir, 'requests.jsonl', (tmp) => writeJsonLines(tmp, records, contents.originMs ?? 0))]
        : []),
      await atomically(dir, 'summary.md', (tmp) => writeFile(tmp, contents.summaryMarkdown)),
    ];
    for (const [name, data] of Object.entries(contents.extraFiles ?? {})) {
      if (name !== basename(name) || name.startsWith('.')) {
        throw new KittError('EXPORT_FAILED', `extra result file "${name}" is not a plain file name`, {
          hint: 'name extra files without folders, e.g. engine.log',
        });
      }
      files.push(await atomically(dir, name, (tmp) => writeFile(tmp, data)));
    }
    return { dir, files };
  } catch (error) {
    if (error instanceof KittError) throw error;
    throw exportFailed(dir, error);
  }
}

/** The error of a results folder kitt could not write: which folder, why, and where else to write. */
export function exportFailed(dir: string, error: unknown): KittError {
  const full = (error as NodeJS.ErrnoException).code === 'ENOSPC';
  return new KittError('EXPORT_FAILED', `could not write results to ${dir}: ${(error as Error).message}`, {
    hint: full
      ? 'the disk is full: free space there, or write the results elsewhere with -o DIR'
      : 'make the folder writable, or write the results elsewhere with -o DIR',
    cause: error,
  });
}

/** requests.jsonl while a run goes: records appended in batches, so a crash loses at most one batch. */
export interface RequestLog {
  /** Queues one record; it reaches the file within `flushEveryMs`. */
  append(record: RequestRecord): void;
  /** Writes what is queued; resolves once it is on disk (or the log has failed). */
  flush(): Promise<void>;
  /** Flushes and stops the timer. */
  close(): Promise<void>;
  /** The first write that failed (disk full, folder gone): later records are counted, not kept. */
  readonly failure: KittError | undefined;
  /** Records on disk so far. */
  readonly written: number;
  /** Records that could not be written after the failure. */
  readonly lost: number;
}

/** Queued bytes that trigger a flush before the timer: a fast run must not pile up a second of records. */
const FLUSH_BYTES = 1 << 20;

/**
 * Opens `<dir>/requests.jsonl` for appending (truncating an old one) and flushes it every
 * `flushEveryMs` and whenever a megabyte is queued. Writes are chained, so lines keep their order.
 * A failed write ends the log's writing but not the run: the caller reads `failure` at the end.
 */
export async function openRequestLog(
  dir: string,
  originMs: number,
  options: { flushEveryMs?: number } = {},
): Promise<RequestLog> {
  const path = join(dir, 'requests.jsonl');
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(path, '');
  } catch (error) {
    throw exportFailed(dir, error);
  }
  let queued: string[] = [];
  let queuedCount = 0;
  let queuedBytes = 0;
  let written = 0;
  let writtenBytes = 0;
  let lost = 0;
  let failure: KittError | undefined;
  let chain: Promise<void> = Promise.resolve();
  const flush = () => {
    if (queuedCount === 0) return chain;
    const batch = queued.join('');
    const count = queuedCount;
    queued = [];
    queuedCount = 0;
    queuedBytes = 0;
    chain = chain.then(async () => {
      if (failure) {
        lost += count;
        return;
      }
      try {
        await appendFile(path, batch);
        written += count;
        writtenBytes += Buffer.byteLength(batch);
      } catch (error) {
        failure = exportFailed(dir, error);
        lost += count;
        // a full disk takes part of a batch: cut the torn line, so every line left parses
        await truncate(path, writtenBytes).catch(() => undefined);
      }
    });
    return chain;
  };
  const timer = setInterval(() => void flush(), options.flushEveryMs ?? 1000);
  timer.unref();
  return {
    append(record) {
      if (failure) {
        lost++;
        return;
      }
      const line = `${serializeRecord(record, originMs)}\n`;
      queued.push(line);
      queuedCount++;
      queuedBytes += line.length;
      if (queuedBytes >= FLUSH_BYTES) void flush();
    },
    flush,
    close: async () => {
      clearInterval(timer);
      await flush();
    },
    get failure() {
      return failure;
    },
    get written() {
      return written;
    },
    get lost() {
      return lost;
    },
  };
}

/** One more file of a result directory, renamed into place as the others are; answers its path. */
export async function writeResultFile(dir: string, name: string, text: string): Promise<string> {
  return atomically(dir, name, (tmp) => writeFile(tmp, text));
}

async function atomically(dir: string, name: string, write: (tmp: string) => Promise<void>): Promise<string> {
  const path = join(dir, name);
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  try {
    await write(tmp);
    await rename(tmp, path);
    return path;
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

async function writeJsonLines(path: string, records: Iterable<RequestRecord>, originMs: number): Promise<void> {
  const out = createWriteStream(path);
  const failed = once(out, 'error').then(([error]) => Promise.reject(error));
  failed.catch(() => {});
  try {
    for (const record of records) {
      // Respect backpressure: a million-request run must not buffer the whole file in memory.
      if (!out.write(`${serializeRecord(record, originMs)}\n`)) await Promise.race([once(out, 'drain'), failed]);
    }
    out.end();
    await Promise.race([once(out, 'finish'), failed]);
  } finally {
    out.destroy();
  }
}
