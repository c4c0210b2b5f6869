import { createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { ARTIFACT_NAMES, type ArtifactName } from './api-schemas.js';

/** The files of a run's result folder the API serves: these four names, read from that folder, nothing else. */
const CONTENT_TYPES: Record<ArtifactName, string> = {
  'report.html': 'text/html; charset=utf-8',
  'requests.jsonl': 'application/x-ndjson',
  'requests.csv': 'text/csv; charset=utf-8',
  'stages.csv': 'text/csv; charset=utf-8',
};

export const isArtifactName = (name: string): name is ArtifactName =>
  (ARTIFACT_NAMES as readonly string[]).includes(name);

/**
 * The size of a regular file, or undefined when there is none: a folder, a missing file, or a
 * symbolic link (kitt never writes one there, so a link is not followed out of the folder).
 */
async function fileBytes(path: string): Promise<number | undefined> {
  const found = await lstat(path).catch(() => undefined);
  return found?.isFile() ? found.size : undefined;
}

/** Which of the four artifacts the run's folder holds, with their sizes. */
export async function listArtifacts(
  resultPath: string | undefined,
): Promise<Array<{ name: ArtifactName; bytes: number }>> {
  if (!resultPath) return [];
  const found = await Promise.all(
    ARTIFACT_NAMES.map(async (name) => ({ name, bytes: await fileBytes(join(resultPath, name)) })),
  );
  return found.flatMap(({ name, bytes }) => (bytes === undefined ? [] : [{ name, bytes }]));
}

/** An artifact as a streamed body, or undefined when the run's folder has no such file. */
export async function openArtifact(
  resultPath: string | undefined,
  name: ArtifactName,
): Promise<{ body: ReadableStream; bytes: number; contentType: string } | undefined> {
  if (!resultPath) return undefined;
  const path = join(resultPath, name);
  const bytes = await fileBytes(path);
  if (bytes === undefined) return undefined;
  const body = Readable.toWeb(createReadStream(path)) as ReadableStream;
  return { body, bytes, contentType: CONTENT_TYPES[name] };
}

/**
 * One page of requests.jsonl, read line by line and closed as soon as the page is full, so a run of
 * millions of requests costs one page of memory. A torn last line (a run killed mid-write) is skipped.
 */
export async function readRequestsPage(
  resultPath: string | undefined,
  offset: number,
  limit: number,
): Promise<{ requests: unknown[]; nextOffset: number | null } | undefined> {
  if (!resultPath) return undefined;
  const path = join(resultPath, 'requests.jsonl');
  if ((await fileBytes(path)) === undefined) return undefined;
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  const requests: unknown[] = [];
  let index = 0;
  let taken = 0;
  let nextOffset: number | null = null;
  try {
    for await (const line of lines) {
      if (line.trim() === '') continue;
      const position = index++;
      if (position < offset) continue;
      if (taken === limit) {
        nextOffset = position;
        break;
      }
      taken++;
      try {
        requests.push(JSON.parse(line));
      } catch {
        // a line cut by a crash: the records before it still count
      }
    }
  } finally {
    lines.close();
    stream.destroy();
  }
  return { requests, nextOffset };
}
