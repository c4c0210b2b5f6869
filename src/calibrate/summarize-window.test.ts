import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RequestRecord } from '../metrics/request-record.js';
import { percentile, slope, summarizeWindow } from './summarize-window.js';

function record(i: number, scheduledAtMs: number, endAtMs: number, lagMs = 50, error = false): RequestRecord {
  return {
    id: i,
    phase: 'measure',
    stage: 0,
    scheduledAtMs,
    sentAtMs: scheduledAtMs,
    headersAtMs: scheduledAtMs + 5,
    firstContentAtMs: scheduledAtMs + lagMs,
    firstReasoningAtMs: null,
    lastContentAtMs: endAtMs,
    endAtMs,
    promptTokens: 8,
    outputTokens: 11,
    outputTokenSource: 'usage',
    clientCountedTokens: 11,
    arrivals: [],
    engine: null,
    error: error ? { kind: 'http-status', message: '503', status: 503 } : null,
  };
}

test('an engine that keeps up achieves the offered rate, with TTFT and TPOT from the timeline', () => {
  const records = Array.from({ length: 40 }, (_, i) => record(i, i * 100, i * 100 + 550));
  const m = summarizeWindow({ records, samples: [], startMs: 0, endMs: 4000, unit: 'requests/s', oomKilled: false });
  assert.equal(m.offeredRate, 10);
  assert.ok(Math.abs(m.achievedRate - 10) < 1e-9);
  assert.equal(m.ttftP95Ms, 50);
  assert.equal(m.tpotP95Ms, 50); // (550 − 50) / (11 − 1)
  assert.ok(Math.abs(m.latencySlopeMsPerS!) < 1e-9);
  assert.equal(m.outputTokensPerS, 110);
});

test('a short window at a rate that does not divide it offers and achieves that rate', () => {
  // 1.5625 req/s for 4 s: arrivals at 0, 0.64, ..., 3.84 s — 7 of them, not 6.25
  const gapMs = 1000 / 1.5625;
  const records = Array.from({ length: 7 }, (_, i) => record(i, i * gapMs, i * gapMs + 300));
  const m = summarizeWindow({ records, samples: [], startMs: 0, endMs: 4000, unit: 'requests/s', oomKilled: false });
  assert.ok(Math.abs(m.offeredRate - 1.5625) < 1e-9, String(m.offeredRate));
  assert.ok(Math.abs(m.achievedRate / m.offeredRate - 1) < 1e-9);
});

test('a saturated engine completes slower than offered and its latency grows within the window', () => {
  // offered 10/s, served 6/s: the k-th completion lands at k / 6 s, the queue grows linearly
  const records = Array.from({ length: 40 }, (_, i) => {
    const end = 200 + (i * 1000) / 6;
    return record(i, i * 100, end, end - i * 100 - 100);
  });
  const m = summarizeWindow({ records, samples: [], startMs: 0, endMs: 4000, unit: 'requests/s', oomKilled: false });
  assert.ok(Math.abs(m.achievedRate - 6) < 1e-9, String(m.achievedRate));
  assert.ok(m.latencySlopeMsPerS! > 500, String(m.latencySlopeMsPerS));
});

test('errors count against the error ratio and the achieved rate; stats are averaged', () => {
  const records = Array.from({ length: 10 }, (_, i) => record(i, i * 100, i * 100 + 300, 50, i % 5 === 0));
  const samples = [
    { atMs: 0, cpuPercentOfLimit: 80, throttledPercent: 10, memoryBytes: 5, queueDepth: 0 },
    { atMs: 500, cpuPercentOfLimit: 90, throttledPercent: 30, memoryBytes: 9, queueDepth: 3 },
  ];
  const m = summarizeWindow({ records, samples, startMs: 0, endMs: 1000, unit: 'requests/s', oomKilled: false });
  assert.equal(m.errorRatio, 0.2);
  assert.equal(m.cpuPercentOfLimit, 85);
  assert.equal(m.throttledPercent, 20);
  assert.equal(m.memoryPeakBytes, 9);
  assert.equal(m.queueGrowth, 3);
  assert.ok(m.achievedRate < 10);
});

test('percentile by nearest rank and least-squares slope', () => {
  assert.equal(percentile([5, 1, 4, 2, 3], 50), 3);
  assert.equal(percentile([5, 1, 4, 2, 3], 100), 5);
  assert.equal(percentile([], 95), undefined);
  assert.equal(
    slope([
      [0, 1],
      [1, 3],
      [2, 5],
    ]),
    2,
  );
  assert.equal(
    slope([
      [0, 1],
      [1, 3],
    ]),
    undefined,
  );
});
