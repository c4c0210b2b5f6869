import assert from 'node:assert/strict';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { KittError } from '../core/errors.js';
import type { EngineExit } from './engine.js';
import { forAll, forHttp, forLog, waitUntilReady } from './readiness.js';

async function serve(t: TestContext, handler: RequestListener): Promise<string> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const never = new Promise<EngineExit | undefined>(() => {});
const noLog = async () => '';

function codeOf(error: unknown): string | undefined {
  return error instanceof KittError ? error.code : undefined;
}

test('an HTTP probe is ready only after the endpoint answers 200, not on 503 while loading', async (t) => {
  let calls = 0;
  const base = await serve(t, (_req, res) => {
    calls += 1;
    res.writeHead(calls < 3 ? 503 : 200).end(calls < 3 ? '{"status":"loading"}' : '{"status":"ok"}');
  });
  await waitUntilReady(forHttp(`${base}/health`, { intervalMs: 10 }), {
    timeoutMs: 5_000,
    exited: never,
    logTail: noLog,
  });
  assert.equal(calls, 3);
});

test('a 404 is never ready: the wait ends with ENGINE_NOT_READY and the log tail', async (t) => {
  const base = await serve(t, (_req, res) => res.writeHead(404).end());
  await assert.rejects(
    waitUntilReady(forHttp(`${base}/health`, { intervalMs: 10 }), {
      timeoutMs: 200,
      exited: never,
      logTail: async () => 'loading weights',
    }),
    (error: unknown) => {
      assert.equal(codeOf(error), 'ENGINE_NOT_READY');
      assert.match((error as Error).message, /200 from .*\/health[\s\S]*loading weights/);
      return true;
    },
  );
});

test('the body must match when bodyMatch is given', async (t) => {
  let ok = false;
  const base = await serve(t, (_req, res) => res.writeHead(200).end(ok ? '{"status":"ok"}' : '{"status":"no slot"}'));
  setTimeout(() => {
    ok = true;
  }, 100);
  const started = performance.now();
  await waitUntilReady(forHttp(`${base}/health`, { intervalMs: 10, bodyMatch: /"status":"ok"/ }), {
    timeoutMs: 5_000,
    exited: never,
    logTail: noLog,
  });
  assert.ok(performance.now() - started >= 90);
});

test('an engine that exits fails the wait at once with its exit code and last log lines', async () => {
  const exited = new Promise<EngineExit>((resolve) =>
    setTimeout(() => resolve({ exitCode: 3, signal: null, oomKilled: false, reason: 'exited' }), 50),
  );
  const started = performance.now();
  await assert.rejects(
    waitUntilReady(forHttp('http://127.0.0.1:1/health', { intervalMs: 10 }), {
      timeoutMs: 60_000,
      exited,
      logTail: async () => 'error: unknown argument --bogus',
      engine: 'llamacpp',
    }),
    (error: unknown) => {
      assert.equal(codeOf(error), 'ENGINE_EXITED');
      assert.match((error as Error).message, /llamacpp exited before it was ready \(exit code 3\)/);
      assert.match((error as Error).message, /unknown argument --bogus/);
      return true;
    },
  );
  assert.ok(performance.now() - started < 2_000);
});

test('an OOM-killed engine fails with OOM_KILLED', async () => {
  await assert.rejects(
    waitUntilReady(forLog(/never/), {
      timeoutMs: 60_000,
      exited: Promise.resolve({ exitCode: 137, signal: null, oomKilled: true, reason: 'oom' }),
      logTail: noLog,
    }),
    (error: unknown) => codeOf(error) === 'OOM_KILLED',
  );
});

test('a log strategy is ready once a line matches', async () => {
  let log = 'loading model\n';
  setTimeout(() => {
    log += 'main: server is listening on http://127.0.0.1:8080\n';
  }, 50);
  await waitUntilReady(forLog(/server is listening/, { intervalMs: 10 }), {
    timeoutMs: 5_000,
    exited: never,
    logTail: async () => log,
  });
});

test('forAll waits for every strategy', async (t) => {
  let log = '';
  const base = await serve(t, (_req, res) => res.writeHead(200).end());
  setTimeout(() => {
    log = 'model loaded';
  }, 150);
  const started = performance.now();
  await waitUntilReady(
    forAll(forHttp(`${base}/health`, { intervalMs: 10 }), forLog(/model loaded/, { intervalMs: 10 })),
    {
      timeoutMs: 5_000,
      exited: never,
      logTail: async () => log,
    },
  );
  assert.ok(performance.now() - started >= 140);
});

test("a strategy's own timeout fails before the overall budget", async () => {
  const started = performance.now();
  await assert.rejects(
    waitUntilReady(forLog(/never/, { intervalMs: 10, timeoutMs: 100 }), {
      timeoutMs: 60_000,
      exited: never,
      logTail: noLog,
    }),
    (error: unknown) => codeOf(error) === 'ENGINE_NOT_READY' && /log line matching/.test((error as Error).message),
  );
  assert.ok(performance.now() - started < 2_000);
});

test('cancelling rejects with the reason and stops probing', async (t) => {
  let calls = 0;
  const base = await serve(t, (_req, res) => {
    calls += 1;
    res.writeHead(503).end();
  });
  const controller = new AbortController();
  setTimeout(() => controller.abort(new KittError('INTERRUPTED', 'interrupted')), 100);
  await assert.rejects(
    waitUntilReady(forHttp(`${base}/health`, { intervalMs: 10 }), {
      timeoutMs: 60_000,
      exited: never,
      logTail: noLog,
      signal: controller.signal,
    }),
    (error: unknown) => codeOf(error) === 'INTERRUPTED',
  );
  // A probe already on the wire when the wait was cancelled may still reach the server; let it land.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const seen = calls;
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(calls, seen, 'probing at a 10 ms interval would have reached the server again');
});
