import assert from 'node:assert/strict';
import { test } from 'node:test';
import { streamedRecord } from '../testing/request-records.js';
import type { RequestRecord } from './request-record.js';
import { summarizeRun } from './summarize-run.js';
import { completionRate, type StageInput, summarizeStages } from './summarize-stages.js';

/**
 * A stage at `rate` req/s: `n` requests sent on schedule, each with a TTFT of `ttftMs` and 4 tokens
 * 2 ms apart; a server that cannot keep up serves them `serviceMs` apart instead.
 */
function stageRecords(stage: number, rate: number, n: number, ttftMs: number, idBase: number, serviceMs = 0) {
  const startMs = stage * 100_000;
  return Array.from({ length: n }, (_, i): RequestRecord => {
    const sentAtMs = startMs + (i * 1000) / rate;
    const firstAtMs = Math.max(sentAtMs, startMs + i * serviceMs) + ttftMs;
    const record = streamedRecord({ id: idBase + i, sentAtMs, arrivalsAtMs: [0, 2, 4, 6].map((d) => firstAtMs + d) });
    return { ...record, stage };
  });
}

const input = (stage: number, offered: number, records: readonly RequestRecord[]): StageInput => {
  let startMs = Number.POSITIVE_INFINITY;
  let endMs = Number.NEGATIVE_INFINITY;
  for (const r of records) {
    startMs = Math.min(startMs, r.scheduledAtMs);
    endMs = Math.max(endMs, r.endAtMs);
  }
  return { stage, kind: 'constant-rate', unit: 'req/s', offered, window: { startMs, endMs } };
};

test('each stage row equals summarizeRun over that stage’s records and window', () => {
  const stages = [stageRecords(0, 2, 20, 10, 0), stageRecords(1, 4, 40, 12, 100), stageRecords(2, 8, 80, 14, 200)];
  const inputs = stages.map((records, i) => input(i, [2, 4, 8][i]!, records));
  const summary = summarizeStages(stages.flat(), inputs, { slo: { ttftMs: 13 } });
  assert.equal(summary.stages.length, 3);
  for (const [i, row] of summary.stages.entries()) {
    const alone = summarizeRun(stages[i]!, { slo: { ttftMs: 13 }, window: inputs[i]!.window! });
    assert.equal(row.requests.total, alone.requests.total);
    assert.equal(row.requestsPerS, alone.throughput.requestsPerS);
    assert.equal(row.ttftMs.p50, alone.ttftMs.p50);
    assert.equal(row.e2eMs.p99, alone.e2eMs.p99);
    assert.equal(row.goodputRequestsPerS, alone.slo!.goodputRequestsPerS);
    assert.ok(Math.abs(row.achieved! - [2, 4, 8][i]!) < 1e-9, `stage ${i} completion rate ${row.achieved}`);
  }
  // the SLO ttft ≤ 13 ms holds at 2 and 4 req/s, not at 8
  assert.deepEqual(
    summary.stages.map((r) => r.sloAttainmentPercent),
    [100, 100, 0],
  );
  assert.equal(summary.maxGoodput?.stage, 1);
  assert.equal(summary.maxGoodput?.basis, 'goodput');
  assert.deepEqual(summary.knee, { stage: 2, slice: null, offered: 8, bent: false });
});

test('the knee is the level before the first that falls behind its offered rate', () => {
  // at 8 req/s the server serves one request per 250 ms: it completes 4/s, half of what is offered
  const stages = [stageRecords(0, 2, 20, 10, 0), stageRecords(1, 4, 40, 11, 100), stageRecords(2, 8, 80, 12, 200, 250)];
  const summary = summarizeStages(
    stages.flat(),
    stages.map((records, i) => input(i, [2, 4, 8][i]!, records)),
  );
  assert.ok(Math.abs(summary.stages[2]!.achieved! - 4) < 1e-9);
  assert.equal(summary.knee?.stage, 1);
  assert.equal(summary.knee?.bent, true);
  assert.match(summary.knee?.reason ?? '', /achieved 4\.00 req\/s, below 90 % of offered/);
  assert.equal(summary.maxGoodput?.basis, 'requests-per-s');
});

test('the knee is the level before the first whose TTFT p50 turns up past the factor', () => {
  const stages = [stageRecords(0, 2, 20, 10, 0), stageRecords(1, 4, 40, 14, 100), stageRecords(2, 8, 80, 40, 200)];
  const summary = summarizeStages(
    stages.flat(),
    stages.map((records, i) => input(i, [2, 4, 8][i]!, records)),
  );
  assert.equal(summary.kneeLatency, 'ttftMs.p50');
  assert.equal(summary.knee?.stage, 1, '14 ms is 1.4× of 10 ms: within the factor');
  assert.match(summary.knee?.reason ?? '', /ttftMs\.p50 rose from 14\.0 to 40\.0 ms/);
});

test('small latency moves under the floor do not make a knee, and one level has none', () => {
  const stages = [stageRecords(0, 2, 20, 1, 0), stageRecords(1, 4, 40, 3, 100)];
  const summary = summarizeStages(
    stages.flat(),
    stages.map((records, i) => input(i, [2, 4][i]!, records)),
  );
  assert.equal(summary.knee?.bent, false, '1 → 3 ms is 3× but only 2 ms: noise');
  const one = summarizeStages(stages[0]!, [input(0, 2, stages[0]!)]);
  assert.equal(one.knee, null);
});

test('completion rate needs two succeeded measured requests', () => {
  const records = stageRecords(0, 2, 3, 10, 0);
  assert.equal(completionRate(records.slice(0, 1)), null);
  assert.ok(Math.abs(completionRate(records)! - 2) < 1e-9);
  const failed = records.map((r) => ({ ...r, error: { kind: 'timeout' as const, message: 'x' } }));
  assert.equal(completionRate(failed), null);
});

test('a ramp becomes equal slices of its measured phase, each offering the ramp’s level at its middle', () => {
  // 20 requests 500 ms apart over a 10 s ramp from 1 to 5 req/s: 4 per 2 s slice
  const records = stageRecords(0, 2, 20, 10, 0);
  const window = input(0, 0, records).window!;
  const summary = summarizeStages(records, [
    { stage: 0, kind: 'ramp-rate', unit: 'req/s', offered: null, window, ramp: { from: 1, to: 5, durationS: 10 } },
  ]);
  assert.deepEqual(
    summary.stages.map((r) => [r.slice, r.offered, r.requests.total]),
    [
      [0, 1.4, 4],
      [1, 2.2, 4],
      [2, 3, 4],
      [3, 3.8, 4],
      [4, 4.6, 4],
    ],
  );
  const firstSlice = summarizeRun(records.slice(0, 4));
  assert.equal(summary.stages[0]!.ttftMs.p50, firstSlice.ttftMs.p50);
  // the server completes 2/s throughout: it keeps up with 1.4 and 2.2 (≥ 90 %), not with 3
  assert.equal(summary.knee?.slice, 1);
  assert.equal(summary.knee?.bent, true);
});
