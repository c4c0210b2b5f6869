import assert from 'node:assert/strict';
import { test } from 'node:test';
import { streamedRecord } from '../testing/request-records.js';
import { chunkGaps, deriveRequestMetrics, perTokenIntervals } from './request-metrics.js';

test('TTFT ignores a role-only first chunk even when the client stamped it as content', () => {
  const record = streamedRecord({
    sentAtMs: 1000,
    arrivalsAtMs: [1005, 1200, 1220],
    tokens: [0, 1, 1],
    // a client that stamped the role chunk would report TTFT = 5 ms
    overrides: { firstContentAtMs: 1005, headersAtMs: 1004 },
  });
  const m = deriveRequestMetrics(record);
  assert.equal(m.ttftMs, 200);
  assert.equal(m.timeToHeadersMs, 4);
  assert.deepEqual(m.chunkGapsMs, [20]);
});

test('reasoning tokens get their own first-token time and TTFT waits for the answer', () => {
  const base = streamedRecord({ sentAtMs: 0, arrivalsAtMs: [100, 110, 300, 310] });
  const arrivals = base.arrivals.map((a, i) => ({
    ...a,
    channel: i < 2 ? ('reasoning' as const) : ('content' as const),
  }));
  const m = deriveRequestMetrics({ ...base, arrivals });
  assert.equal(m.ttfrMs, 100);
  assert.equal(m.ttftMs, 300);
  // TPOT spans all four output tokens: (310 − 100) / 3
  assert.equal(m.tpotMs, 70);
});

test('multi-token chunks give per-token ITL whose token-weighted mean equals TPOT', () => {
  // first chunk carries 2 tokens, then 3 tokens after 30 ms, then 1 token after 10 ms, then 4 after 40 ms
  const record = streamedRecord({ sentAtMs: 0, arrivalsAtMs: [50, 80, 90, 130], tokens: [2, 3, 1, 4], tailMs: 7 });
  const intervals = perTokenIntervals(record);
  assert.deepEqual(intervals, [
    { intervalMs: 0, tokens: 1 },
    { intervalMs: 10, tokens: 3 },
    { intervalMs: 10, tokens: 1 },
    { intervalMs: 10, tokens: 4 },
  ]);
  const m = deriveRequestMetrics(record);
  const count = intervals.reduce((a, i) => a + i.tokens, 0);
  const mean = intervals.reduce((a, i) => a + i.intervalMs * i.tokens, 0) / count;
  assert.equal(count, m.outputTokens - 1);
  assert.equal(m.tpotMs, (130 - 50) / 9);
  assert.ok(Math.abs(mean - m.tpotMs!) < 1e-9);
  // per-chunk gaps stay per chunk: the figure vLLM calls ITL
  assert.deepEqual(chunkGaps(record), [30, 10, 40]);
  // vLLM's formula runs to the end of the stream
  assert.equal(m.tpotVllmMs, (137 - 50) / 9);
  assert.equal(m.itlMaxMs, 10);
});

test('schedule-relative latency and queue time explain a request that waited for a slot', () => {
  const record = streamedRecord({
    scheduledAtMs: 100,
    sentAtMs: 1600,
    arrivalsAtMs: [1700, 2100],
    overrides: { queuedMs: 1499.5 },
  });
  const m = deriveRequestMetrics(record);
  assert.equal(m.queueMs, 1500);
  assert.equal(m.slotWaitMs, 1499.5);
  assert.equal(m.sendLatenessMs, 0.5);
  assert.equal(m.e2eMs, 500);
  assert.equal(m.e2eFromScheduleMs, 2000);
  assert.equal(m.ttftFromScheduleMs, 1600);
});

test('a request with one token has no TPOT and no ITL', () => {
  const m = deriveRequestMetrics(streamedRecord({ sentAtMs: 0, arrivalsAtMs: [40] }));
  assert.equal(m.tpotMs, null);
  assert.equal(m.tpotVllmMs, null);
  assert.deepEqual(m.itl, []);
  assert.equal(m.itlMaxMs, null);
});

test('a non-streamed request takes its timeline from the record fields', () => {
  const record = streamedRecord({
    sentAtMs: 0,
    arrivalsAtMs: [],
    overrides: { firstContentAtMs: 300, lastContentAtMs: 300, endAtMs: 301, outputTokens: 20 },
  });
  const m = deriveRequestMetrics(record);
  assert.equal(m.ttftMs, 300);
  assert.equal(m.e2eMs, 301);
  assert.deepEqual(m.chunkGapsMs, []);
});
