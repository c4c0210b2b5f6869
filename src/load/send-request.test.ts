import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Pool } from 'undici';
import { monotonicClock } from '../core/clock.js';
import { type ExactScheduleServer, startExactScheduleServer } from '../testing/exact-schedule-server.js';
import type { LoadTarget } from './load-target.js';
import { sendRequest } from './send-request.js';

let server: ExactScheduleServer;
let pool: Pool;

before(async () => {
  server = await startExactScheduleServer({ ttftMs: 30, itlMs: 5, tokensPerChunk: 3, roleChunk: true });
  pool = new Pool(server.url, { connections: 4 });
});
after(async () => {
  await pool.close();
  await server.close();
});

const slot = { id: 1, phase: 'measure' as const, stage: 0, scheduledAtMs: 0, queuedMs: 0 };
const prompt = { text: 'one two three four', inputTokens: 4, maxTokens: 10 };

function target(over: Partial<LoadTarget> = {}): LoadTarget {
  return {
    baseUrl: server.url,
    api: 'openai-chat',
    model: 'm',
    supports: { ignoreEos: true, tokenize: true, usage: 'final' },
    ...over,
  };
}

test('a streamed chat answer yields usage tokens and one arrival per non-empty chunk, skipping the role chunk', async () => {
  const record = await sendRequest(
    pool,
    target(),
    prompt,
    { ...slot, scheduledAtMs: monotonicClock.nowMs() },
    {
      clock: monotonicClock,
      timeoutMs: 5000,
    },
  ).done;
  assert.equal(record.error, null);
  assert.equal(record.outputTokens, 10);
  assert.equal(record.outputTokenSource, 'usage');
  assert.equal(record.promptTokens, 4);
  assert.equal(record.arrivals.length, 4); // 3+3+3+1 tokens in 4 chunks, counted 1 each without continuous usage
  assert.equal(record.clientCountedTokens, 4);
  assert.ok(record.firstContentAtMs! - record.sentAtMs! >= 29, 'TTFT is not stopped by the role-only chunk');
});

test('continuous usage attributes each chunk its own token count', async () => {
  const record = await sendRequest(
    pool,
    target({ supports: { ignoreEos: true, tokenize: true, usage: 'continuous' } }),
    prompt,
    slot,
    {
      clock: monotonicClock,
      timeoutMs: 5000,
    },
  ).done;
  assert.deepEqual(
    record.arrivals.map((a) => a.tokens),
    [3, 3, 3, 1],
  );
  assert.equal(record.clientCountedTokens, record.outputTokens);
});

test('completions, non-streamed, still count usage', async () => {
  const record = await sendRequest(pool, target({ api: 'openai-completions', stream: false }), prompt, slot, {
    clock: monotonicClock,
    timeoutMs: 5000,
  }).done;
  assert.equal(record.error, null);
  assert.equal(record.outputTokens, 10);
  assert.equal(record.arrivals.length, 1);
  assert.equal(record.arrivals[0]!.tokens, 10);
});

test('a request past its deadline becomes a timeout record, not an exception', async () => {
  const record = await sendRequest(pool, target(), prompt, slot, { clock: monotonicClock, timeoutMs: 10 }).done;
  assert.equal(record.error?.kind, 'timeout');
});

test('an unknown path becomes an http-status record with the status', async () => {
  const record = await sendRequest(pool, target({ api: 'ollama-chat' }), prompt, slot, {
    clock: monotonicClock,
    timeoutMs: 5000,
  }).done;
  assert.equal(record.error?.kind, 'http-status');
  assert.equal(record.error?.status, 404);
});

test('a refused connection becomes a connection record', async () => {
  const closed = new Pool('http://127.0.0.1:1');
  const record = await sendRequest(closed, target({ baseUrl: 'http://127.0.0.1:1' }), prompt, slot, {
    clock: monotonicClock,
    timeoutMs: 5000,
  }).done;
  await closed.close();
  assert.equal(record.error?.kind, 'connection');
});

/** A server that drops the connection of its first `drops` requests unanswered, then relays to the schedule server. */
async function closingServer(drops: number) {
  const http = await import('node:http');
  let seen = 0;
  const proxy = http.createServer((req, res) => {
    seen += 1;
    if (seen <= drops) {
      req.socket.destroy();
      return;
    }
    const upstream = http.request(
      new URL(req.url ?? '/', server.url),
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const port = (proxy.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => seen,
    close: () =>
      new Promise<void>((resolve) => {
        proxy.closeAllConnections();
        proxy.close(() => resolve());
      }),
  };
}

test('a connection the server closes before answering is retried once on a fresh one, keeping the scheduled time', async (t) => {
  const flaky = await closingServer(1);
  const flakyPool = new Pool(flaky.url, { connections: 1 });
  t.after(async () => {
    await flakyPool.close();
    await flaky.close();
  });
  const scheduledAtMs = monotonicClock.nowMs();
  const record = await sendRequest(
    flakyPool,
    target({ baseUrl: flaky.url }),
    prompt,
    { ...slot, scheduledAtMs },
    {
      clock: monotonicClock,
      timeoutMs: 5000,
    },
  ).done;
  assert.equal(record.error, null);
  assert.equal(record.outputTokens, 10);
  assert.equal(flaky.requests(), 2);
  assert.equal(record.scheduledAtMs, scheduledAtMs);
});

test('a server that keeps closing connections is an error after one retry, not a loop', async (t) => {
  const broken = await closingServer(1_000);
  const brokenPool = new Pool(broken.url, { connections: 1 });
  t.after(async () => {
    await brokenPool.close();
    await broken.close();
  });
  const record = await sendRequest(brokenPool, target({ baseUrl: broken.url }), prompt, slot, {
    clock: monotonicClock,
    timeoutMs: 5000,
  }).done;
  assert.equal(record.error?.kind, 'connection');
  assert.equal(broken.requests(), 2);
});

test('a send the server closed unanswered is sent again once, and the record says so', async () => {
  // First connection: the request arrives and the socket closes unanswered, as a stale keep-alive
  // socket does. Second connection: a real answer.
  const { createServer } = await import('node:net');
  let connections = 0;
  const body = JSON.stringify({ choices: [{ text: 'hi' }], usage: { prompt_tokens: 4, completion_tokens: 1 } });
  const flaky = createServer((socket) => {
    connections += 1;
    const first = connections === 1;
    socket.once('data', () => {
      if (first) socket.destroy();
      else
        socket.end(
          `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
        );
    });
  });
  await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
  const { port } = flaky.address() as { port: number };
  const flakyPool = new Pool(`http://127.0.0.1:${port}`, { connections: 1 });
  try {
    const record = await sendRequest(
      flakyPool,
      target({ baseUrl: `http://127.0.0.1:${port}`, api: 'openai-completions', stream: false }),
      prompt,
      slot,
      { clock: monotonicClock, timeoutMs: 5000 },
    ).done;
    assert.equal(record.error, null);
    assert.equal(connections, 2);
    assert.equal(record.retries, 1);
    assert.equal(record.outputTokens, 1);
  } finally {
    await flakyPool.close();
    await new Promise((resolve) => flaky.close(resolve));
  }
});

test('a send answered the first time has no retries', async () => {
  const record = await sendRequest(pool, target({ api: 'openai-completions', stream: false }), prompt, slot, {
    clock: monotonicClock,
    timeoutMs: 5000,
  }).done;
  assert.equal(record.error, null);
  assert.equal(record.retries ?? 0, 0);
});
