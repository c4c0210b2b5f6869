import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../testing/exact-statistics.js';
import { failedRecord, streamedRecord } from '../testing/request-records.js';
import type { RequestRecord } from './request-record.js';
import { RunAccumulator } from './run-accumulator.js';
import { parseSlo, percentileTerms, requestBounds } from './slo.js';
import { summarizeRun } from './summarize-run.js';

/** A run of every kind of record: warmup, successes with and without content, failures, drops, aborts, retries. */
function mixedRecords(n: number, seed: number): RequestRecord[] {
  const random = seededRandom(seed);
  let sentAtMs = 1000;
  return Array.from({ length: n }, (_, id) => {
    sentAtMs += Math.floor(random() * 4) === 0 ? 0 : -Math.log(1 - random()) * 15; // equal sends happen
    const roll = random();
    if (roll < 0.08)
      return failedRecord('connection', { id, scheduledAtMs: sentAtMs, sentAtMs, endAtMs: sentAtMs + random() * 50 });
    if (roll < 0.12) return failedRecord('dropped', { id, scheduledAtMs: sentAtMs, sentAtMs: null, endAtMs: sentAtMs });
    if (roll < 0.15) return failedRecord('aborted', { id, scheduledAtMs: sentAtMs, sentAtMs, endAtMs: sentAtMs + 30 });
    let at = sentAtMs + 20 + random() * 300;
    const chunks = roll < 0.18 ? 0 : 1 + Math.floor(random() * 30);
    const arrivalsAtMs: number[] = [];
    const tokens: number[] = [];
    for (let k = 0; k < chunks; k++) {
      arrivalsAtMs.push(at);
      tokens.push(1 + Math.floor(random() * 3));
      at += random() * 60;
    }
    const record = streamedRecord({
      id,
      sentAtMs,
      scheduledAtMs: sentAtMs - random() * 5,
      arrivalsAtMs,
      tokens,
      tailMs: random() * 3,
    });
    return {
      ...record,
      phase: random() < 0.1 ? 'warmup' : 'measure',
      ...(random() < 0.05 ? { retries: 1 } : {}),
      ...(random() < 0.1 ? { outputTokens: record.outputTokens + 1, outputTokenSource: 'engine' as const } : {}),
    };
  });
}

test('the accumulator gives exactly what summarizeRun gives on the same records, windows and SLOs', () => {
  const terms = parseSlo('ttft=150ms,tpot=25ms,e2e=900ms,ttft-p99=400ms');
  const slo = { bounds: requestBounds(terms), percentiles: percentileTerms(terms) };
  for (const seed of [1, 2, 3, 4, 5]) {
    const records = mixedRecords(1500, seed);
    const cases = [
      {},
      { slo: slo.bounds, sloPercentiles: slo.percentiles },
      { window: { startMs: 3000, endMs: 9000 } },
      { slo: slo.bounds, window: { startMs: 0, endMs: 5000 } },
    ];
    for (const options of cases) {
      const accumulator = new RunAccumulator(options);
      for (const record of records) accumulator.add(record);
      assert.deepEqual(
        accumulator.summarize(options.window),
        summarizeRun(records, options),
        `seed ${seed} ${JSON.stringify(options)}`,
      );
    }
  }
});

test('an empty run summarises the same both ways', () => {
  assert.deepEqual(new RunAccumulator().summarize(), summarizeRun([]));
});
