import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertSummaryMatches, assertWithinHdrPrecision, seededRandom } from '../testing/exact-statistics.js';
import { failedRecord, streamedRecord } from '../testing/request-records.js';
import type { RequestRecord } from './request-record.js';
import { parseSlo, type SloBounds } from './slo.js';
import { summarizeRun } from './summarize-run.js';

/** Random streamed requests: Poisson-ish sends, TTFT 20–500 ms, 1–60 chunks of 1–4 tokens. */
function randomRecords(n: number, seed: number): RequestRecord[] {
  const random = seededRandom(seed);
  let sentAtMs = 1000;
  return Array.from({ length: n }, (_, id) => {
    sentAtMs += -Math.log(1 - random()) * 20;
    const scheduledAtMs = sentAtMs - random() * 3;
    let at = sentAtMs + 20 + random() * 480;
    const chunks = 1 + Math.floor(random() * 60);
    const arrivalsAtMs: number[] = [];
    const tokens: number[] = [];
    for (let k = 0; k < chunks; k++) {
      arrivalsAtMs.push(at);
      tokens.push(1 + Math.floor(random() * 4));
      at += random() * 80;
    }
    return streamedRecord({ id, scheduledAtMs, sentAtMs, arrivalsAtMs, tokens, tailMs: random() * 2 });
  });
}

test('percentiles from the HDR path equal a brute-force computation on the raw records', () => {
  const records = randomRecords(2000, 11);
  const metrics = summarizeRun(records);
  // The reference reads the raw fields directly, not through deriveRequestMetrics.
  const ttft = records.map((r) => r.arrivals[0]!.atMs - r.sentAtMs!);
  const e2e = records.map((r) => r.endAtMs - r.sentAtMs!);
  const e2eFromSchedule = records.map((r) => r.endAtMs - r.scheduledAtMs);
  const queue = records.map((r) => r.sentAtMs! - r.scheduledAtMs);
  const multi = records.filter((r) => r.outputTokens > 1);
  const tpot = multi.map((r) => (r.arrivals.at(-1)!.atMs - r.arrivals[0]!.atMs) / (r.outputTokens - 1));
  const itl: number[] = [];
  const chunkGap: number[] = [];
  for (const r of records) {
    for (let k = 1; k < r.arrivals[0]!.tokens; k++) itl.push(0);
    for (let i = 1; i < r.arrivals.length; i++) {
      const gap = r.arrivals[i]!.atMs - r.arrivals[i - 1]!.atMs;
      chunkGap.push(gap);
      for (let k = 0; k < r.arrivals[i]!.tokens; k++) itl.push(gap / r.arrivals[i]!.tokens);
    }
  }
  assertSummaryMatches(metrics.ttftMs, ttft, 'ttftMs');
  assertSummaryMatches(metrics.e2eMs, e2e, 'e2eMs');
  assertSummaryMatches(metrics.e2eFromScheduleMs, e2eFromSchedule, 'e2eFromScheduleMs');
  assertSummaryMatches(metrics.queueMs, queue, 'queueMs');
  assertSummaryMatches(metrics.tpotMs, tpot, 'tpotMs');
  assertSummaryMatches(metrics.itlMs, itl, 'itlMs');
  assertSummaryMatches(metrics.chunkGapMs, chunkGap, 'chunkGapMs');
  // per-token ITL is consistent with TPOT: the same total time over the same number of intervals
  const sumTokens = records.reduce((a, r) => a + r.outputTokens - 1, 0);
  assert.equal(metrics.itlMs.count, sumTokens);
});

test('throughput, tokens and concurrency are measured over [first measured send, last measured end]', () => {
  const records = [
    streamedRecord({ id: 0, sentAtMs: 0, arrivalsAtMs: [100, 200], promptTokens: 5 }), // ends 200
    streamedRecord({ id: 1, sentAtMs: 500, arrivalsAtMs: [600, 700, 800], promptTokens: 5 }), // ends 800
    streamedRecord({ id: 2, sentAtMs: 1000, arrivalsAtMs: [1500, 2000], promptTokens: 5 }), // ends 2000
  ];
  const metrics = summarizeRun(records);
  assert.deepEqual(metrics.window, { startMs: 0, endMs: 2000, durationS: 2, source: 'measured-records' });
  assert.equal(metrics.throughput.requestsPerS, 1.5);
  assert.equal(metrics.throughput.outputTokensPerS, 3.5);
  assert.equal(metrics.throughput.promptTokensPerS, 7.5);
  assert.equal(metrics.throughput.totalTokensPerS, 11);
  // in flight: 200 + 300 + 1000 ms over 2000 ms
  assert.equal(metrics.concurrency.meanInFlight, 0.75);
  assert.equal(metrics.concurrency.peakInFlight, 1);
  assert.equal(metrics.tokens.outputPerRequestMean, 7 / 3);
});

test('a given window divides by its own length and counts the requests that ended inside it', () => {
  const records = [
    streamedRecord({ id: 0, sentAtMs: 0, arrivalsAtMs: [100, 200] }),
    streamedRecord({ id: 1, sentAtMs: 150, arrivalsAtMs: [600, 900] }),
    streamedRecord({ id: 2, sentAtMs: 800, arrivalsAtMs: [1500, 3000] }),
  ];
  const metrics = summarizeRun(records, { window: { startMs: 100, endMs: 1100 } });
  assert.equal(metrics.window.source, 'given');
  assert.equal(metrics.requests.succeededInWindow, 2);
  assert.equal(metrics.throughput.requestsPerS, 2);
  // in flight inside [100, 1100]: 100 + 750 + 300 ms, two at once at most
  assert.equal(metrics.concurrency.meanInFlight, 1.15);
  assert.equal(metrics.concurrency.peakInFlight, 2);
  // latency still describes every measured request
  assert.equal(metrics.e2eMs.count, 3);
});

test('only measure-phase records count', () => {
  const measured = randomRecords(50, 3);
  const outside = randomRecords(20, 4).flatMap((r, i) => [
    { ...r, id: 1000 + i, phase: 'warmup' as const, sentAtMs: r.sentAtMs! - 1e6 },
    { ...r, id: 2000 + i, phase: 'cooldown' as const, endAtMs: r.endAtMs + 1e6 },
  ]);
  const alone = summarizeRun(measured);
  const mixed = summarizeRun([...outside, ...measured]);
  assert.deepEqual(mixed, alone);
  assert.equal(mixed.requests.total, 50);
});

test('dropped and errored requests are counted by kind and excluded from latency', () => {
  const ok = [
    streamedRecord({ id: 0, sentAtMs: 0, arrivalsAtMs: [100, 110] }),
    streamedRecord({ id: 1, sentAtMs: 10, arrivalsAtMs: [200, 210] }),
  ];
  const bad = [
    failedRecord('dropped', { id: 2, scheduledAtMs: 20, sentAtMs: null, endAtMs: 20 }),
    failedRecord('dropped', { id: 3, scheduledAtMs: 30, sentAtMs: null, endAtMs: 30 }),
    failedRecord('timeout', { id: 4, scheduledAtMs: 40, sentAtMs: 40, endAtMs: 90_040 }),
    failedRecord('http-status', { id: 5, scheduledAtMs: 50, sentAtMs: 50, endAtMs: 51 }),
    failedRecord('aborted', { id: 6, scheduledAtMs: 60, sentAtMs: 60, endAtMs: 70 }),
    // a stream that broke after some content must not lend its TTFT to the distribution
    {
      ...streamedRecord({ id: 7, sentAtMs: 70, arrivalsAtMs: [71] }),
      error: { kind: 'connection' as const, message: 'reset' },
    },
  ];
  const metrics = summarizeRun([...ok, ...bad]);
  assert.deepEqual(
    { ...metrics.requests, errorsByKind: { ...metrics.requests.errorsByKind } },
    {
      total: 8,
      succeeded: 2,
      failed: 3,
      dropped: 2,
      aborted: 1,
      succeededWithoutContent: 0,
      succeededInWindow: 2,
      errorsByKind: { dropped: 2, timeout: 1, 'http-status': 1, aborted: 1, connection: 1 },
      retried: 0,
    },
  );
  assert.equal(metrics.ttftMs.count, 2);
  assertWithinHdrPrecision(metrics.ttftMs.max, 190, 'ttft max');
  assert.equal(metrics.e2eMs.count, 2);
  assertWithinHdrPrecision(metrics.e2eMs.max, 200, 'e2e max');
  assert.equal(metrics.throughput.requestsPerS, 2 / 90.04);
});

test('goodput counts exactly the requests that met every SLO', () => {
  const slo: SloBounds = {
    ttftMs: 100,
    tpotMs: 20,
    itlMaxMs: 50,
    e2eMs: 1000,
    ttftFromScheduleMs: 300,
    e2eFromScheduleMs: 1200,
  };
  const tokensEvery = (startMs: number, gapsMs: readonly number[]) =>
    gapsMs.reduce<number[]>(
      (at, gap) => {
        at.push(at.at(-1)! + gap);
        return at;
      },
      [startMs],
    );
  const even = (gap: number) => Array.from({ length: 9 }, () => gap);
  const at = (id: number) => id * 10_000;
  const build = (id: number, o: { ttft?: number; gaps?: number[]; tail?: number; waited?: number }) =>
    streamedRecord({
      id,
      scheduledAtMs: at(id) - (o.waited ?? 0),
      sentAtMs: at(id),
      arrivalsAtMs: tokensEvery(at(id) + (o.ttft ?? 50), o.gaps ?? even(10)),
      tailMs: o.tail ?? 5,
    });
  const records = [
    build(0, {}), // good: ttft 50, tpot 10, itl max 10, e2e 145
    build(1, { ttft: 150 }), // misses ttftMs only
    build(2, { gaps: even(30) }), // misses tpotMs only (itl max 30 < 50)
    build(3, { gaps: [5, 5, 5, 5, 5, 5, 5, 5, 60] }), // misses itlMaxMs only (tpot 11.1)
    build(4, { tail: 900 }), // misses e2eMs only (e2e 1040, from schedule 1040 < 1200)
    build(5, { waited: 260 }), // misses ttftFromScheduleMs only (310; e2e from schedule 405)
    build(6, { waited: 240, tail: 850 }), // misses e2eFromScheduleMs only (1230; ttft from schedule 290; e2e 990)
    build(7, {}), // good
    failedRecord('timeout', { id: 8, scheduledAtMs: at(8), sentAtMs: at(8), endAtMs: at(8) + 50 }),
    failedRecord('dropped', { id: 9, scheduledAtMs: at(9), sentAtMs: null, endAtMs: at(9) }),
    failedRecord('aborted', { id: 10, scheduledAtMs: at(10), sentAtMs: at(10), endAtMs: at(10) + 5 }),
    { ...build(11, {}), phase: 'warmup' as const },
  ];
  const metrics = summarizeRun(records, { slo });
  assert.ok(metrics.slo);
  assert.equal(metrics.slo.goodRequests, 2);
  assert.equal(metrics.slo.eligibleRequests, 10);
  assert.equal(metrics.slo.attainmentPercent, 20);
  assert.deepEqual(metrics.slo.missedBy, {
    ttftMs: 1,
    ttftFromScheduleMs: 1,
    tpotMs: 1,
    itlMaxMs: 1,
    e2eMs: 1,
    e2eFromScheduleMs: 1,
  });
  assert.equal(metrics.slo.goodputRequestsPerS, 2 / metrics.window.durationS);
  assert.equal(metrics.slo.goodputOutputTokensPerS, 20 / metrics.window.durationS);
  // each bound alone fails exactly its own request
  for (const [name, bound] of Object.entries(slo)) {
    const alone = summarizeRun(records, { slo: { [name]: bound } });
    assert.equal(alone.slo?.goodRequests, 7, name);
  }
});

test('metrics are plain JSON: serialising and parsing gives the same object', () => {
  const metrics = summarizeRun(randomRecords(30, 5), { slo: { ttftMs: 200 } });
  assert.deepEqual(JSON.parse(JSON.stringify(metrics)), metrics);
});

test('under a cap of 1 at 10 requests/s with 500 ms service, latency from the schedule exposes the queue', () => {
  // The coordinated-omission scenario: each request waits for the previous one to finish.
  const records: RequestRecord[] = [];
  let freeAtMs = 0;
  for (let id = 0; id < 50; id++) {
    const scheduledAtMs = id * 100;
    const sentAtMs = Math.max(scheduledAtMs, freeAtMs);
    freeAtMs = sentAtMs + 500;
    records.push(
      streamedRecord({
        id,
        scheduledAtMs,
        sentAtMs,
        arrivalsAtMs: [sentAtMs + 100, sentAtMs + 500],
        overrides: { queuedMs: sentAtMs - scheduledAtMs },
      }),
    );
  }
  const metrics = summarizeRun(records);
  assertWithinHdrPrecision(metrics.e2eMs.p99, 500, 'e2e from send');
  // the last request was scheduled at 4.9 s and finished at 25 s
  assertWithinHdrPrecision(metrics.e2eFromScheduleMs.max, 25_000 - 4_900, 'e2e from schedule');
  assert.ok(metrics.e2eFromScheduleMs.p50! > 10 * metrics.e2eMs.p50!);
  // queue time explains the difference, and it was all slot wait, no pacing lateness
  assertWithinHdrPrecision(metrics.queueMs.mean, metrics.e2eFromScheduleMs.mean! - metrics.e2eMs.mean!, 'queue');
  assert.equal(metrics.sendLatenessMs.max, 0);
  assert.equal(metrics.concurrency.peakInFlight, 1);
});

test('a long run with more records than a call has argument slots still summarises', () => {
  const one = streamedRecord({ sentAtMs: 0, arrivalsAtMs: [], overrides: { firstContentAtMs: 5, endAtMs: 5 } });
  const records = Array.from({ length: 200_000 }, (_, id) => ({ ...one, id, sentAtMs: id, endAtMs: id + 5 }));
  const metrics = summarizeRun(records);
  assert.equal(metrics.e2eMs.count, 200_000);
  assert.deepEqual([metrics.window.startMs, metrics.window.endMs], [0, 200_004]);
});

test('requests resent after a stale connection are counted, measure phase only', () => {
  const records = [
    streamedRecord({ id: 0, sentAtMs: 0, arrivalsAtMs: [10, 20], overrides: { retries: 1 } }),
    streamedRecord({ id: 1, sentAtMs: 5, arrivalsAtMs: [15, 25] }),
    streamedRecord({ id: 2, phase: 'warmup', sentAtMs: 0, arrivalsAtMs: [10], overrides: { retries: 1 } }),
  ];
  assert.equal(summarizeRun(records).requests.retried, 1);
});

test('percentile terms are judged once against the run: met, missed, and not measured', () => {
  // TTFTs 10, 20, ..., 100 ms: p50 is 50 ms and p99 is 100 ms (nearest rank)
  const records = Array.from({ length: 10 }, (_, id) =>
    streamedRecord({ id, sentAtMs: 1000 + id * 200, arrivalsAtMs: [1000 + id * 200 + (id + 1) * 10] }),
  );
  const metrics = summarizeRun(records, { sloPercentiles: parseSlo('ttft-p50=60ms,ttft-p99=90ms,tpot-p95=5ms') });
  assert.ok(metrics.slo);
  assert.deepEqual(
    metrics.slo.percentiles.map((v) => [v.term, v.met]),
    [
      ['ttft-p50=60ms', true],
      ['ttft-p99=90ms', false],
      // one token per request: no TPOT was measured, and an empty distribution meets nothing
      ['tpot-p95=5ms', null],
    ],
  );
  assertWithinHdrPrecision(metrics.slo.percentiles[0]!.measuredMs, 50, 'ttft p50');
  assertWithinHdrPrecision(metrics.slo.percentiles[1]!.measuredMs, 100, 'ttft p99');
  assert.deepEqual(metrics.slo.bounds, {}, 'percentile terms alone set no per-request bound');
});
