import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { KittError } from '../core/errors.js';
import { renderRunsPage, startWebServer } from './web-server.js';

const get = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
};

test('answers /health with ok and the version', async () => {
  await using server = await startWebServer({ host: '127.0.0.1', port: 0, version: '9.9.9' });
  const res = await get(`${server.url}/health`);
  assert.equal(res.status, 200);
  assert.deepEqual(JSON.parse(res.text), { status: 'ok', version: '9.9.9' });
});

test('answers /api/runs with 503 and a hint while no store is wired in', async () => {
  await using server = await startWebServer({ host: '127.0.0.1', port: 0, version: '1' });
  const res = await get(`${server.url}/api/runs`);
  assert.equal(res.status, 503);
  const body = JSON.parse(res.text) as { error: { code: string; message: string; hint: string } };
  assert.equal(body.error.code, 'STORE_UNAVAILABLE');
  assert.match(body.error.hint, /kitt results/);
});

test('lists the store runs on /api/runs and on the page, escaping their text', async () => {
  const runs = [
    { id: 'run-1', engine: 'llamacpp', model: '<tiny>.gguf' },
    { id: 'run-2', engine: 'vllm', model: 'qwen' },
  ];
  await using server = await startWebServer({ host: '127.0.0.1', port: 0, version: '1', readRuns: async () => runs });
  const api = await get(`${server.url}/api/runs`);
  assert.equal(api.status, 200);
  assert.deepEqual(JSON.parse(api.text), { runs });
  const page = await get(`${server.url}/`);
  assert.equal(page.status, 200);
  assert.match(page.type, /text\/html/);
  assert.match(page.text, /<td>run-2<\/td>/);
  assert.match(page.text, /&lt;tiny&gt;\.gguf/);
  assert.doesNotMatch(page.text, /<tiny>/);
});

test('maps a store failure to its HTTP status and one-line message', async () => {
  const readRuns = async () => {
    throw new KittError('RUNTIME_UNREACHABLE', 'store offline', { hint: 'start it' });
  };
  await using server = await startWebServer({ host: '127.0.0.1', port: 0, version: '1', readRuns });
  const res = await get(`${server.url}/api/runs`);
  assert.equal(res.status, 503);
  assert.deepEqual(JSON.parse(res.text), {
    error: { code: 'RUNTIME_UNREACHABLE', message: 'store offline (start it)' },
  });
});

test('answers 404 for unknown paths and 405 for writes', async () => {
  await using server = await startWebServer({ host: '127.0.0.1', port: 0, version: '1' });
  assert.equal((await get(`${server.url}/nope`)).status, 404);
  const post = await fetch(`${server.url}/api/runs`, { method: 'POST' });
  await post.text();
  assert.equal(post.status, 405);
});

test('says the port is in use, with a fix, when it is', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  try {
    await assert.rejects(startWebServer({ host: '127.0.0.1', port, version: '1' }), (error: unknown) => {
      assert.ok(error instanceof KittError);
      assert.equal(error.code, 'PORT_IN_USE');
      assert.match(error.hint ?? '', /--port/);
      return true;
    });
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  }
});

test('renders an empty store as a hint to start a run', () => {
  assert.match(renderRunsPage([], '1'), /No runs yet/);
});

test('close is idempotent', async () => {
  const server = await startWebServer({ host: '127.0.0.1', port: 0, version: '1' });
  await server.close();
  await server.close();
  await assert.rejects(fetch(`${server.url}/health`));
});
