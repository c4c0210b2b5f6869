import { createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Store, StoredRun } from '../../store/store-types.js';
import { showRun } from '../shared/run-listing.js';
import { DEFAULT_RETRY, type PushTarget, putWithRetry, type RetryPolicy } from './push-http.js';
import { PUSHED_FILE_NAMES } from './pushed-files.js';

/** Files larger than this travel gzip-compressed (request logs shrink about tenfold); smaller ones as they are. */
export const GZIP_ABOVE_BYTES = 64 * 1024;

export interface PushedRun {
  readonly id: string;
  /** The run's page on the server. */
  readonly url: string;
  /** created: new there; replaced: the server had it and now has this state; kept: it had a later one. */
  readonly outcome: 'created' | 'replaced' | 'kept';
  readonly files: number;
  /** Bytes on the wire: the row and the files, compressed where they were. */
  readonly bytesSent: number;
}

export interface PushOptions {
  readonly retry?: RetryPolicy;
  /** Told of each retry, one line (never the token). */
  readonly onRetry?: (line: string) => void;
}

/** The row as the server takes it: its resultPath and owner are this machine's, not the server's. */
function rowOf(run: StoredRun): Omit<StoredRun, 'resultPath' | 'owner'> {
  const { resultPath: _path, owner: _owner, ...row } = run;
  return row;
}

/** The files of the run's folder a server takes, with their sizes; links and folders are skipped. */
async function pushedFiles(resultPath: string | undefined): Promise<Array<{ name: string; bytes: number }>> {
  if (!resultPath) return [];
  const found = await Promise.all(
    PUSHED_FILE_NAMES.map(async (name) => {
      const stat = await lstat(join(resultPath, name)).catch(() => undefined);
      return stat?.isFile() ? [{ name, bytes: stat.size }] : [];
    }),
  );
  return found.flat();
}

/** A file as a request body, gzipped or not, counting the bytes that go on the wire. */
function fileBody(path: string, gzip: boolean, onBytes: (bytes: number) => void): Readable {
  const count = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onBytes(chunk.length);
      callback(null, chunk);
    },
  });
  // pipeline, not pipe: a read error ends the body (and the request) instead of going unheard
  pipeline([createReadStream(path), ...(gzip ? [createGzip()] : []), count]).catch(() => {});
  return count;
}

/**
 * Pushes one recorded run to a kitt server: its row (PUT /api/v1/runs/{id}), then each file of its
 * result folder the server takes (PUT …/files/{name}), streamed and gzipped above 64 KiB. The server
 * points the row at the files as they land, so one row PUT is enough. Every step is idempotent, so a
 * push repeated after a failure, or of a run the server has, leaves it with one copy. A server that
 * has a later state of the run (`kept`) gets no files: this machine's are older.
 */
export async function pushRun(
  store: Pick<Store, 'getRun' | 'listRuns' | 'location'>,
  idOrPrefix: string,
  target: PushTarget,
  options: PushOptions = {},
): Promise<PushedRun> {
  const run = await showRun(store, idOrPrefix);
  const retry = { retry: options.retry ?? DEFAULT_RETRY, onRetry: options.onRetry };
  const runPath = `/api/v1/runs/${encodeURIComponent(run.id)}`;
  const rowJson = JSON.stringify(rowOf(run));
  const answer = await putWithRetry(
    target,
    { path: runPath, headers: { 'content-type': 'application/json' }, body: () => rowJson },
    retry,
  );
  let bytesSent = Buffer.byteLength(rowJson);
  const outcome = answer.json.outcome as PushedRun['outcome'];
  const files = outcome === 'kept' ? [] : await pushedFiles(run.resultPath);
  for (const file of files) {
    const gzip = file.bytes > GZIP_ABOVE_BYTES;
    let sent = 0;
    await putWithRetry(
      target,
      {
        path: `${runPath}/files/${file.name}`,
        headers: {
          'content-type': 'application/octet-stream',
          ...(gzip ? { 'content-encoding': 'gzip' } : { 'content-length': String(file.bytes) }),
        },
        body: () => {
          sent = 0;
          return fileBody(join(run.resultPath!, file.name), gzip, (bytes) => {
            sent += bytes;
          });
        },
      },
      retry,
    );
    bytesSent += sent;
  }
  const page = typeof answer.json.page === 'string' ? answer.json.page : `/runs/${encodeURIComponent(run.id)}`;
  return { id: run.id, url: `${target.server}${page}`, outcome, files: files.length, bytesSent };
}
