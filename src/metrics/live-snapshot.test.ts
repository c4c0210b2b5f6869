import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failedRecord, streamedRecord } from '../testing/request-records.js';
import { quantileOfSorted } from './bootstrap.js';
import { LiveWindow } from './live-snapshot.js';
import type { RequestRecord } from './request-record.js';

/** A request sent at `sentAtMs`, first token `ttftMs` later, `tokens` tokens, ending 100 ms after it. */
const request = (id: number, sentAtMs: number, ttftMs: number, tokens = 4) =>
  streamedRecord({ id, sentAtMs, arrivalsAtMs: [sentAtMs + ttftMs], tokens: [tokens], tailMs: 100 });

/** The slow, exact reference: every record kept, the window's figures recomputed from scratch. */
function exactWindow(records: readonly RequestRecord[], nowMs: number, windowMs: number) {
  const inside = records.filter((r) => r.endAtMs > nowMs - windowMs);
  // the load started with the first record's schedule: before W has passed, the window is that long
  const spanS = Math.min(windowMs, nowMs - (records[0]?.scheduledAtMs ?? 0)) / 1000;
  const ttfts = inside
    .filter((r) => r.firstContentAtMs !== null && r.sentAtMs !== null)
    .map((r) => (r.firstContentAtMs as number) - (r.sentAtMs as number))
    .sort((a, b) => a - b);
  return {
    requestsPerS: inside.length / spanS,
    outputTokensPerS: inside.reduce((sum, r) => sum + r.outputTokens, 0) / spanS,
    ttftP50Ms: ttfts.length ? quantileOfSorted(ttfts, 0.5) : null,
    ttftP99Ms: ttfts.length ? quantileOfSorted(ttfts, 0.99) : null,
  };
}

test('the window counts only the requests that ended in the last 10 s, as the exact reference does', () => {
  let now = 0;
  const live = new LiveWindow({ runId: 'r1', nowMs: () => now, capacity: 64 });
  const records: RequestRecord[] = [];
  // 3 req/s for 30 s with TTFTs that cycle, more than the ring holds: old ones fall out
  for (let i = 0; i < 90; i++) {
    const record = request(i, i * 333, 20 + (i % 7) * 10, 1 + (i % 5));
    records.push(record);
    live.observeRecord(record);
    now = record.endAtMs;
    if (i % 10 === 9) {
      const snapshot = live.snapshot();
      const exact = exactWindow(records, now, 10_000);
      assert.ok(Math.abs(snapshot.requestsPerS - exact.requestsPerS) < 1e-9, `req/s at ${now}`);
      assert.ok(Math.abs(snapshot.outputTokensPerS - exact.outputTokensPerS) < 1e-9, `tok/s at ${now}`);
      assert.equal(snapshot.ttftP50Ms, exact.ttftP50Ms);
      assert.equal(snapshot.ttftP99Ms, exact.ttftP99Ms);
    }
  }
  const last = live.snapshot();
  assert.equal(last.completed, 90);
  assert.ok(Math.abs(last.requestsPerS - 3) < 0.11, `about 3 req/s, got ${last.requestsPerS}`);
});

test("in the load's first seconds the rates are over the time since it started, not the whole window", () => {
  let now = 0;
  const live = new LiveWindow({ runId: 'r', nowMs: () => now });
  live.observeStage({ index: 0, count: 1, label: 'constant-rate 4/s' }, 1_000, null);
  for (let i = 0; i < 8; i++) live.observeRecord(request(i, 1_000 + i * 250, 10, 3));
  now = 3_000;
  const snapshot = live.snapshot();
  assert.equal(snapshot.requestsPerS, 4, '8 requests in the 2 s since the load started');
  assert.equal(snapshot.outputTokensPerS, 12);
});

test('a quiet window reports zero rates and no TTFT, but keeps the totals', () => {
  let now = 0;
  const live = new LiveWindow({ runId: 'r', nowMs: () => now });
  live.observeRecord(request(1, 0, 50));
  now = 20_000;
  const snapshot = live.snapshot();
  assert.deepEqual(
    [snapshot.completed, snapshot.requestsPerS, snapshot.outputTokensPerS, snapshot.ttftP50Ms],
    [1, 0, 0, null],
  );
});

test('failed requests count as failed and have no TTFT; a full ring rates over the span it holds', () => {
  let now = 0;
  const live = new LiveWindow({ runId: 'r', nowMs: () => now, capacity: 10 });
  live.observeRecord(failedRecord('http-status', { scheduledAtMs: 0, sentAtMs: 0, endAtMs: 5 }));
  // 100 req/s for 1 s: far more than 10 fit, all inside the window
  for (let i = 0; i < 100; i++) live.observeRecord(request(i, i * 10, 5, 2));
  now = 1_100;
  const snapshot = live.snapshot();
  assert.equal(snapshot.failed, 1);
  assert.equal(snapshot.completed, 100);
  // the ten kept ended at 1,005 … 1,095 ms: 10 requests over the 95 ms since the first, near the true 100/s
  assert.ok(Math.abs(snapshot.requestsPerS - 10 / 0.095) < 1e-6, `got ${snapshot.requestsPerS}`);
  assert.equal(snapshot.ttftP50Ms, 5);
});

test('phases, stages, in flight and the container reading come through; the final snapshot is done', () => {
  let now = 1_000;
  const live = new LiveWindow({ runId: 'r9', nowMs: () => now });
  live.observePhase('starting embedded');
  assert.deepEqual(
    [live.snapshot().phase, live.snapshot().elapsedS, live.snapshot().plannedDurationS],
    ['starting embedded', 0, null],
  );
  live.observeStage({ index: 0, count: 1, label: 'constant-rate 2/s' }, 2_000, 30);
  live.observeInFlight(3);
  live.observeContainer({ atMs: 2_500, cpuPercentOfLimit: 87.5, memoryBytes: 5e8, memoryLimitBytes: 2e9 });
  now = 4_500;
  const running = live.snapshot();
  assert.equal(running.phase, 'constant-rate 2/s');
  assert.equal(running.elapsedS, 2.5);
  assert.equal(running.plannedDurationS, 30);
  assert.equal(running.inFlight, 3);
  assert.deepEqual(running.container, { cpuPercentOfLimit: 87.5, memoryBytes: 5e8, memoryLimitBytes: 2e9, ageS: 2 });
  assert.equal(running.done, false);
  const final = live.snapshot({ status: 'succeeded' });
  assert.deepEqual([final.done, final.status, final.inFlight], [true, 'succeeded', 0]);
  assert.ok(final.seq > running.seq, 'snapshots are numbered in order');
});

test('memory stays fixed: a million records leave the window as small as its capacity', () => {
  let now = 0;
  const live = new LiveWindow({ runId: 'r', nowMs: () => now, capacity: 256 });
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 1_000_000; i++) live.observeRecord(request(i, i, 3, 1));
  now = 1_000_000;
  const snapshot = live.snapshot();
  assert.equal(snapshot.completed, 1_000_000);
  assert.ok(snapshot.requestsPerS > 0);
  // nothing per record survives: the heap grew by well under what 1e6 kept records would take (~100 MB)
  assert.ok(process.memoryUsage().heapUsed - before < 30e6);
});
