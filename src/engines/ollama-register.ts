import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { request } from 'undici';
import { KittError } from '../core/errors.js';
import type { PrepareModelContext } from './engine-definition.js';

/** sha256 of a file, streamed (GGUF files are gigabytes). */
export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { signal, highWaterMark: 4 * 1024 * 1024 })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/** Content-addressed model name: the same GGUF always gets the same name, so it is imported once. */
export function ollamaModelName(sha256: string): string {
  return `kitt-${sha256.slice(0, 12)}`;
}

/**
 * Body of `POST /api/create` for a GGUF already uploaded as a blob (Ollama >= 0.5.5: `files` maps
 * file names to blob digests; the older `modelfile` text field was removed).
 */
export function ollamaCreateBody(name: string, fileName: string, sha256: string): Record<string, unknown> {
  return { model: name, files: { [fileName]: `sha256:${sha256}` }, stream: false };
}

/** True when `/api/tags` lists the model (with or without the implicit `:latest`). */
export function tagsListModel(tags: unknown, name: string): boolean {
  const models = (tags as { models?: Array<{ name?: string; model?: string }> })?.models ?? [];
  return models.some((m) => [m.name, m.model].some((n) => n === name || n === `${name}:latest`));
}

async function expectOk(
  what: string,
  response: { statusCode: number; body: { text(): Promise<string> } },
  ok: number[],
): Promise<string> {
  const text = await response.body.text();
  if (!ok.includes(response.statusCode)) {
    throw new KittError('ENGINE_FAILED', `ollama ${what} answered ${response.statusCode}: ${text.slice(0, 200)}`, {
      hint: 'check the engine log (kitt keeps its last lines) and the Ollama version',
    });
  }
  return text;
}

/**
 * Registers a GGUF with a running Ollama: hash it, skip everything when a model of that hash is
 * listed already (the persistent volume kept it), upload the blob only when Ollama lacks it, then
 * create the model from the blob. Resolves to the model name requests must use.
 */
export async function registerGgufWithOllama(context: PrepareModelContext): Promise<string> {
  const { baseUrl, model, progress, signal } = context;
  progress.phase('hashing model for ollama');
  const digest = await sha256File(model.servePath, signal);
  const name = ollamaModelName(digest);
  progress.end(digest.slice(0, 12));
  const tags = await request(`${baseUrl}/api/tags`, { signal });
  if (tagsListModel(JSON.parse(await expectOk('/api/tags', tags, [200])), name)) {
    progress.info(`ollama already has ${name}`);
    return name;
  }
  const blobUrl = `${baseUrl}/api/blobs/sha256:${digest}`;
  const head = await request(blobUrl, { method: 'HEAD', signal });
  await head.body.text();
  if (head.statusCode !== 200) {
    const { size } = await stat(model.servePath);
    progress.phase('importing model into ollama', size);
    const upload = await request(blobUrl, {
      method: 'POST',
      body: createReadStream(model.servePath),
      headers: { 'content-length': String(size) },
      signal,
    });
    await expectOk('blob upload', upload, [200, 201]);
    progress.end();
  }
  const create = await request(`${baseUrl}/api/create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ollamaCreateBody(name, basename(model.servePath), digest)),
    signal,
  });
  await expectOk('/api/create', create, [200]);
  return name;
}
