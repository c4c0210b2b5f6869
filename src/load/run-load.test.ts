import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RequestRecord } from '../metrics/request-record.js';
import { startExactScheduleServer } from '../testing/exact-schedule-server.js';
import { RecordingProgress } from '../testing/recording-progress.js';
import { parseLoadSpec } from './load-spec.js';
import type { LoadTarget } from './load-target.js';
import { runLoad } from './run-load.js';

function targetFor(url: string, over: Partial<LoadTarget> = {}): LoadTarget {
  return {
    baseUrl: url,
    api: 'openai-chat',
    model: 'm',
    supports: { ignoreEos: true, tokenize: true, usage: 'final' },
    ...over,
  };
}

test('a fixed-concurrency run sends exactly warmup + measured + cooldown requests, tagged by phase', async (t) => {
  const server = await startExactScheduleServer({ ttftMs: 5, itlMs: 1 });
  t.after(() => server.close());
  const spec = parseLoadSpec({
    kind: 'fixed-concurrency',
    concurrency: 3,
    requests: 12,
    warmup: { requests: 3 },
    cooldown: { requests: 2 },
    prompts: { kind: 'synthetic', inputTokens: 16, outputTokens: 4 },
  });
  const result = await runLoad(spec, targetFor(server.url), { progress: new RecordingProgress(), keepRecords: true });
  const phases = result.records.map((r) => r.phase);
  assert.equal(result.records.length, 17);
  assert.equal(phases.filter((p) => p === 'warmup').length, 3);
  assert.equal(phases.filter((p) => p === 'measure').length, 12);
  assert.equal(phases.filter((p) => p === 'cooldown').length, 2);
  assert.ok(result.records.every((r) => r.error === null && r.outputTokens === 4));
  assert.ok(
    result.records.every((r) => r.promptTokens === 16),
    'prompt lengths exact through /tokenize',
  );
  assert.equal(result.engineCounters?.deltas['kitt_exact:requests_total'], 17);
  assert.equal(result.engineCounters?.deltas['kitt_exact:tokens_predicted_total'], 17 * 4);
  assert.equal(result.selfCheck.sendLatenessP99Ms, null);
  assert.ok(result.window && result.window.endMs > result.window.startMs);
  assert.equal(result.interrupted, false);
});

test('coordinated omission: at 10 req/s with one slot and 500 ms service, latency from the schedule grows and queue time explains it', async (t) => {
  const server = await startExactScheduleServer({ ttftMs: 500, itlMs: 1, outputTokens: 1 });
  t.after(() => server.close());
  const spec = parseLoadSpec({
    kind: 'constant-rate',
    rate: 10,
    requests: 20,
    maxInFlight: 1,
    overflow: 'queue',
    prompts: { kind: 'synthetic', inputTokens: 8, outputTokens: 1 },
  });
  const result = await runLoad(spec, targetFor(server.url), { keepRecords: true });
  const records = result.records.filter((r) => r.phase === 'measure');
  assert.equal(records.length, 20);
  const fromSend = records.map((r) => r.endAtMs - r.sentAtMs!);
  const fromSchedule = records.map((r) => r.endAtMs - r.scheduledAtMs);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  // Measured from the send (vLLM before its fix): every request looks like ~500 ms.
  assert.ok(mean(fromSend) < 800, `mean from send ${mean(fromSend)}`);
  // From the schedule: request k waits ~k × 400 ms for the slot; the mean is ~4.3 s for 20 requests.
  assert.ok(mean(fromSchedule) > 3000, `mean from schedule ${mean(fromSchedule)}`);
  assert.ok(Math.max(...fromSchedule) > 7000);
  // an arrival that waited for the slot is sent the moment the slot frees, so its queue time and its
  // service time are its whole latency from the schedule; one that found the slot free is sent by
  // the pacer's timer, whose lateness on a busy host is the self-check's to report, not the queue's
  // (a request resent after a stale keep-alive socket also spent its first attempt's few ms in neither)
  const queued = records.filter((r) => r.queuedMs! > 0 && !r.retries);
  assert.ok(queued.length >= 15, `${queued.length} of 20 arrivals waited for the slot`);
  for (const r of queued) {
    const explained = r.queuedMs! + (r.endAtMs - r.sentAtMs!);
    assert.ok(Math.abs(r.endAtMs - r.scheduledAtMs - explained) < 20, 'queue time + service time = scheduled latency');
  }
  assert.ok(result.stages[0]!.maxQueued >= 10);
});

test('overflow drop counts arrivals that find no free slot and never sends them', async (t) => {
  const server = await startExactScheduleServer({ ttftMs: 300, itlMs: 1, outputTokens: 1 });
  t.after(() => server.close());
  const spec = parseLoadSpec({
    kind: 'constant-rate',
    rate: 20,
    requests: 10,
    maxInFlight: 1,
    overflow: 'drop',
    prompts: { kind: 'synthetic', inputTokens: 8, outputTokens: 1 },
  });
  const result = await runLoad(
    spec,
    targetFor(server.url, { supports: { ignoreEos: true, tokenize: false, usage: 'final' } }),
    { keepRecords: true },
  );
  const dropped = result.records.filter((r) => r.error?.kind === 'dropped');
  assert.ok(dropped.length >= 6, `dropped ${dropped.length}`);
  assert.equal(result.stages[0]!.dropped, dropped.length);
  assert.ok(dropped.every((r) => r.sentAtMs === null));
  assert.equal(result.records.length, 10);
  assert.ok(result.warnings.some((w) => w.includes('approximate')));
});

test('an interrupt stops sending and returns the records so far, marked interrupted', async (t) => {
  const server = await startExactScheduleServer({ ttftMs: 50, itlMs: 20, outputTokens: 5 });
  t.after(() => server.close());
  const spec = parseLoadSpec({
    kind: 'constant-rate',
    rate: 50,
    durationS: 30,
    prompts: { kind: 'synthetic', inputTokens: 8, outputTokens: 5 },
  });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 400);
  const started = performance.now();
  const result = await runLoad(
    spec,
    targetFor(server.url, { supports: { ignoreEos: true, tokenize: false, usage: 'final' } }),
    {
      signal: controller.signal,
      keepRecords: true,
    },
  );
  assert.ok(performance.now() - started < 3000);
  assert.equal(result.interrupted, true);
  assert.ok(result.records.length >= 10 && result.records.length <= 30, `${result.records.length} records`);
  assert.ok(result.records.filter((r) => r.error === null).length >= 10);
});

test('a sweep runs one stage per level and tags records with the stage', async (t) => {
  const server = await startExactScheduleServer({ ttftMs: 2, itlMs: 1 });
  t.after(() => server.close());
  const spec = parseLoadSpec({
    kind: 'sweep',
    of: 'fixed-concurrency',
    levels: [1, 2],
    requests: 4,
    prompts: { kind: 'synthetic', inputTokens: 8, outputTokens: 2 },
  });
  const result = await runLoad(spec, targetFor(server.url), { keepRecords: true });
  assert.deepEqual(
    result.stages.map((s) => s.level),
    [1, 2],
  );
  assert.equal(result.records.filter((r) => r.stage === 0).length, 4);
  assert.equal(result.records.filter((r) => r.stage === 1).length, 4);
  assert.equal(new Set(result.records.map((r) => r.id)).size, 8);
});

test('workers split an open-loop schedule exactly and the records merge', async (t) => {
  const server = await startExactScheduleServer({ ttftMs: 2, itlMs: 1 });
  t.after(() => server.close());
  const spec = parseLoadSpec({
    kind: 'constant-rate',
    rate: 100,
    requests: 40,
    workers: 2,
    prompts: { kind: 'synthetic', inputTokens: 8, outputTokens: 2 },
  });
  const result = await runLoad(spec, targetFor(server.url), { keepRecords: true });
  assert.equal(result.records.length, 40);
  assert.deepEqual(
    result.records.map((r) => r.id),
    Array.from({ length: 40 }, (_, i) => i),
  );
  assert.ok(result.records.every((r) => r.error === null));
  assert.equal(result.selfCheck.workers, 2);
  // Scheduled times are 10 ms apart on one clock, whichever worker sent them.
  const gaps = result.records.slice(1).map((r, i) => r.scheduledAtMs - result.records[i]!.scheduledAtMs);
  assert.ok(
    gaps.every((g) => Math.abs(g - 10) < 1),
    `gaps ${gaps.join(',')}`,
  );
});

test('ramp-concurrency starts users as the target concurrency rises', async (t) => {
  const server = await startExactScheduleServer({ ttftMs: 20, itlMs: 1, outputTokens: 1 });
  t.after(() => server.close());
  const spec = parseLoadSpec({
    kind: 'ramp-concurrency',
    from: 1,
    to: 4,
    durationS: 1.2,
    prompts: { kind: 'synthetic', inputTokens: 8, outputTokens: 1 },
  });
  const result = await runLoad(
    spec,
    targetFor(server.url, { supports: { ignoreEos: true, tokenize: false, usage: 'final' } }),
    { keepRecords: true },
  );
  const start = result.window!.startMs;
  const inFlightAt = (at: number) => result.records.filter((r) => r.sentAtMs! <= at && r.endAtMs > at).length;
  const early = Math.max(...[50, 100, 150].map((ms) => inFlightAt(start + ms)));
  const late = Math.max(...[1050, 1100, 1150].map((ms) => inFlightAt(start + ms)));
  assert.equal(early, 1);
  assert.ok(late >= 3, `in flight near the end: ${late}`);
});

/** What a run's sinks hear: each record, and each stage's measured start, in order. */
function listen() {
  const records: RequestRecord[] = [];
  const starts = new Map<number, number>();
  const measuredBeforeStart: number[] = [];
  return {
    records,
    starts,
    measuredBeforeStart,
    onRecord: (record: RequestRecord) => {
      if (record.phase === 'measure' && !starts.has(record.stage)) measuredBeforeStart.push(record.id);
      records.push(record);
    },
    onMeasureStart: (stage: number, atMs: number) => {
      assert.ok(!starts.has(stage), `stage ${stage} announced twice`);
      starts.set(stage, atMs);
    },
  };
}

test('records go to onRecord as they complete and the runner keeps none unless asked', async (t) => {
  const server = await startExactScheduleServer({ ttftMs: 2, itlMs: 1 });
  t.after(() => server.close());
  const spec = parseLoadSpec({
    kind: 'sweep',
    of: 'constant-rate',
    levels: [50, 100],
    requests: 15,
    warmup: { requests: 3 },
    prompts: { kind: 'synthetic', inputTokens: 8, outputTokens: 2 },
  });
  const sinks = listen();
  const result = await runLoad(spec, targetFor(server.url), sinks);
  assert.equal(result.records, undefined);
  assert.equal(result.requests, 36);
  assert.equal(sinks.records.length, 36);
  assert.equal(new Set(sinks.records.map((r) => r.id)).size, 36);
  // each stage's measured start is said before its first measured record, and is its window's start
  assert.deepEqual(sinks.measuredBeforeStart, []);
  for (const stage of result.stages) assert.equal(sinks.starts.get(stage.stage), stage.window!.startMs);
});

test('worker shards stream their records to this thread’s onRecord, and the earliest measured start is said', async (t) => {
  const server = await startExactScheduleServer({ ttftMs: 2, itlMs: 1 });
  t.after(() => server.close());
  const spec = parseLoadSpec({
    kind: 'ramp-rate',
    from: 40,
    to: 120,
    durationS: 0.5,
    warmup: { durationS: 0.1 },
    workers: 2,
    prompts: { kind: 'synthetic', inputTokens: 8, outputTokens: 2 },
  });
  const sinks = listen();
  const result = await runLoad(spec, targetFor(server.url), sinks);
  assert.equal(result.records, undefined);
  assert.ok(result.requests > 30, `${result.requests} requests`);
  assert.equal(sinks.records.length, result.requests);
  assert.equal(new Set(sinks.records.map((r) => r.id)).size, result.requests);
  // the ramp's slices count from this: it came before any measured record of the ramp
  assert.deepEqual(sinks.measuredBeforeStart, []);
  assert.equal(sinks.starts.get(0), result.stages[0]!.window!.startMs);
  assert.equal(
    sinks.starts.get(0),
    Math.min(...sinks.records.filter((r) => r.phase === 'measure').map((r) => r.scheduledAtMs)),
  );
});

test('a fixed concurrency opens its streams over startSpreadS instead of in one tick', async (t) => {
  // each answer takes longer than the spread, so every user's first send is one of the 8
  const server = await startExactScheduleServer({ ttftMs: 400, itlMs: 1 });
  t.after(() => server.close());
  const firstSends = async (startSpreadS: number) => {
    const spec = parseLoadSpec({
      kind: 'fixed-concurrency',
      concurrency: 8,
      requests: 8,
      startSpreadS,
      prompts: { kind: 'synthetic', inputTokens: 16, outputTokens: 2 },
    });
    const { records } = await runLoad(spec, targetFor(server.url), { keepRecords: true });
    const sent = records.map((r) => r.sentAtMs!).sort((a, b) => a - b);
    return sent.at(-1)! - sent[0]!;
  };
  const spread = await firstSends(0.3);
  assert.ok(spread > 150 && spread < 400, `8 first sends over ${spread.toFixed(1)} ms, spread 300 ms`);
  const together = await firstSends(0);
  assert.ok(together < 50, `8 first sends within ${together.toFixed(1)} ms`);
});

test('a fixed concurrency split over workers keeps one connection a user: no request waits behind another', async (t) => {
  const server = await startExactScheduleServer({ ttftMs: 300, itlMs: 5 });
  t.after(() => server.close());
  const spec = parseLoadSpec({
    kind: 'fixed-concurrency',
    concurrency: 4,
    requests: 12,
    workers: 2,
    startSpreadS: 0,
    prompts: { kind: 'synthetic', inputTokens: 16, outputTokens: 4 },
  });
  const { records } = await runLoad(spec, targetFor(server.url), { keepRecords: true });
  const measured = records.filter((r) => r.phase === 'measure');
  assert.equal(measured.length, 12);
  const ttfts = measured.map((r) => r.firstContentAtMs! - r.sentAtMs!);
  // 300 ms is the server's; a request queued behind another user's on a shared connection waits ~320 ms more
  assert.ok(Math.max(...ttfts) < 480, `TTFTs ${ttfts.map((v) => v.toFixed(0)).join(', ')} ms`);
});
