import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { KittError } from '../core/errors.js';
import type { RequestRecord } from '../metrics/request-record.js';
import { serializeRecord } from '../metrics/serialize-record.js';
import type { RunMetrics } from '../metrics/summarize-run.js';

/** What a finished run leaves on disk. */
export interface ResultDirContents {
  /** Written as metrics.json: the run's RunMetrics, or a document that embeds them. */
  readonly metrics: RunMetrics | Record<string, unknown>;
  readonly records: Iterable<RequestRecord>;
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
    const files = [
      await atomically(dir, 'metrics.json', (tmp) => writeFile(tmp, `${JSON.stringify(contents.metrics, null, 2)}\n`)),
      await atomically(dir, 'requests.jsonl', (tmp) => writeJsonLines(tmp, contents.records, contents.originMs ?? 0)),
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
    throw new KittError('EXPORT_FAILED', `could not write results to ${dir}: ${(error as Error).message}`, {
      hint: 'check that the results folder is writable and the disk has space',
      cause: error,
    });
  }
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
