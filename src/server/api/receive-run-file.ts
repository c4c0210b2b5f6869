import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { formatBytes } from '../../core/units.js';
import { HttpError } from './api-errors.js';

export interface ReceivedFile {
  /** Bytes written, after decompression. */
  readonly bytes: number;
}

/** A file too large once decompressed: the cap is on what lands on disk, not on the wire. */
function tooLarge(maxBytes: number): HttpError {
  return new HttpError(
    'PAYLOAD_TOO_LARGE',
    `the file is over ${formatBytes(maxBytes)} once decompressed`,
    'start kitt server with a larger --max-upload, or keep this run local',
  );
}

/** Counts the bytes through it and fails the pipeline at the first one past `maxBytes`. */
function capAt(maxBytes: number): { readonly stream: Transform; readonly bytes: () => number } {
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > maxBytes) callback(tooLarge(maxBytes));
      else callback(null, chunk);
    },
  });
  return { stream, bytes: () => bytes };
}

/**
 * Streams a request body into `dir/name`, gunzipping it on the way when it came gzip-encoded, and
 * renames it into place only once whole: a reader (the artifact routes, the dashboard) sees the old
 * file or the new one, never half of one, and a refused or broken upload leaves nothing behind.
 * Memory stays at a few stream buffers whatever the size, a gzip bomb included (the cap counts
 * the decompressed bytes).
 */
export async function receiveRunFile(
  body: ReadableStream<Uint8Array> | null,
  target: { readonly dir: string; readonly name: string },
  options: { readonly gzip: boolean; readonly maxBytes: number },
): Promise<ReceivedFile> {
  await mkdir(target.dir, { recursive: true });
  const tmp = join(target.dir, `.${target.name}.${randomBytes(4).toString('hex')}.tmp`);
  const source = body ? Readable.fromWeb(body as import('node:stream/web').ReadableStream) : Readable.from([]);
  const cap = capAt(options.maxBytes);
  try {
    await pipeline([source, ...(options.gzip ? [createGunzip()] : []), cap.stream, createWriteStream(tmp)]);
    await rename(tmp, join(target.dir, target.name));
  } catch (error) {
    await rm(tmp, { force: true });
    if (error instanceof HttpError) throw error;
    if (
      typeof (error as NodeJS.ErrnoException).code === 'string' &&
      (error as NodeJS.ErrnoException).code!.startsWith('Z_')
    ) {
      throw new HttpError('VALIDATION', 'the body is not valid gzip', 'send the file as it is, or gzip it whole');
    }
    throw error;
  }
  return { bytes: cap.bytes() };
}
