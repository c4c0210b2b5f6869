import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { RecordingProgress } from '../testing/recording-progress.js';
import { ollamaCreateBody, ollamaModelName, registerGgufWithOllama } from './ollama-register.js';

const dir = mkdtempSync(join(tmpdir(), 'kitt-ollama-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const gguf = join(dir, 'tiny.gguf');
writeFileSync(gguf, Buffer.concat([Buffer.from('GGUF'), Buffer.alloc(4096, 7)]));
const digest = createHash('sha256').update(readFileSync(gguf)).digest('hex');

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Ollama's model store as its API documents it (docs/api.md: HEAD/POST /api/blobs/:digest,
 * POST /api/create with `files`, GET /api/tags), kept in memory like the named volume keeps it on disk.
 */
function ollamaStore(): { server: Server; calls: string[]; url: () => string } {
  const blobs = new Map<string, number>();
  const models = new Set<string>();
  const calls: string[] = [];
  const server = createServer(async (req, res) => {
    calls.push(`${req.method} ${req.url}`);
    const body = await bodyOf(req);
    if (req.url === '/api/tags') {
      res.end(
        JSON.stringify({ models: [...models].map((name) => ({ name: `${name}:latest`, model: `${name}:latest` })) }),
      );
    } else if (req.url?.startsWith('/api/blobs/sha256:')) {
      const want = req.url.slice('/api/blobs/sha256:'.length);
      if (req.method === 'HEAD') res.writeHead(blobs.has(want) ? 200 : 404).end();
      else if (createHash('sha256').update(body).digest('hex') !== want) res.writeHead(400).end('digest mismatch');
      else {
        blobs.set(want, body.length);
        res.writeHead(201).end();
      }
    } else if (req.url === '/api/create') {
      const create = JSON.parse(body.toString()) as { model: string; files: Record<string, string> };
      const missing = Object.values(create.files).filter((d) => !blobs.has(d.replace('sha256:', '')));
      if (missing.length > 0) res.writeHead(400).end(JSON.stringify({ error: `missing blob ${missing[0]}` }));
      else {
        models.add(create.model);
        res.end(JSON.stringify({ status: 'success' }));
      }
    } else res.writeHead(404).end();
  });
  return { server, calls, url: () => `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

test('the create body maps the file name to its blob digest', () => {
  assert.deepEqual(ollamaCreateBody('kitt-abc', 'tiny.gguf', 'ff00'), {
    model: 'kitt-abc',
    files: { 'tiny.gguf': 'sha256:ff00' },
    stream: false,
  });
  assert.equal(ollamaModelName(digest), `kitt-${digest.slice(0, 12)}`);
});

test('a GGUF is uploaded and created once; the next run finds it and imports nothing', async () => {
  const store = ollamaStore();
  await new Promise<void>((resolve) => store.server.listen(0, '127.0.0.1', resolve));
  try {
    const context = {
      baseUrl: store.url(),
      model: { format: 'gguf' as const, servePath: gguf, kind: 'file' as const },
      progress: new RecordingProgress(),
    };
    assert.equal(await registerGgufWithOllama(context), ollamaModelName(digest));
    assert.deepEqual(store.calls, [
      'GET /api/tags',
      `HEAD /api/blobs/sha256:${digest}`,
      `POST /api/blobs/sha256:${digest}`,
      'POST /api/create',
    ]);
    store.calls.length = 0;
    assert.equal(await registerGgufWithOllama(context), ollamaModelName(digest));
    assert.deepEqual(store.calls, ['GET /api/tags']);
  } finally {
    await new Promise((resolve) => store.server.close(resolve));
  }
});
