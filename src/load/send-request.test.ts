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
