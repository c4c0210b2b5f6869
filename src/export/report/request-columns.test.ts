import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serializeRecord } from '../../metrics/serialize-record.js';
import { streamedRecord } from '../../testing/request-records.js';
import { cdfColumns, histogramColumns } from './distribution-charts.js';
import { collectRequestLog, collectRequests } from './request-columns.js';

/** 2,000 requests of 10 arrivals of 1–3 tokens, `1 + ⌊id / 40⌋` ms apart (later requests slower): some 19,000 interval runs. */
const records = Array.from({ length: 2000 }, (_, id) =>
  streamedRecord({
    id,
    sentAtMs: (id * 7919) % 5000,
    arrivalsAtMs: Array.from({ length: 10 }, (_, i) => ((id * 7919) % 5000) + 30 + i * (1 + Math.floor(id / 40))),
    tokens: Array.from({ length: 10 }, (_, i) => 1 + ((id + i) % 3)),
    overrides: { stage: id % 2, engine: id % 3 === 0 ? { ttftMs: 20, tpotMs: 5 } : null },
  }),
);

/** The weighted median of a CDF's columns: the first x whose share reaches 50 %. */
const median = ([xs, ys]: [number[], number[]]) => xs[ys.findIndex((y) => y >= 50)]!;

test('the streamed request log gives the same columns as the records in memory', async () => {
  const lines = records.map((r) => serializeRecord(r));
  const streamed = await collectRequestLog(async function* () {
    yield* lines;
  });
  assert.deepEqual(streamed, collectRequests(records));
});

test('past its capacity the ITL sample is uniform over intervals, weights kept, and the same on every build', () => {
  const exact = collectRequests(records).samples.itl;
  const sampled = collectRequests(records, { itlCapacity: 3000 }).samples.itl;
  assert.ok(exact.values.length > 6000);
  assert.equal(sampled.values.length, 3000);
  assert.equal(sampled.seen, exact.values.length);
  assert.equal(sampled.totalWeight, exact.totalWeight);
  const truth = median(cdfColumns(exact));
  assert.ok(Math.abs(median(cdfColumns(sampled)) - truth) <= 0.1 * truth, 'the weighted median is estimated closely');
  const [, counts] = histogramColumns(sampled);
  const tokens = counts.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(tokens - exact.totalWeight) <= 40, `the histogram stands for all ${exact.totalWeight} tokens`);
  assert.deepEqual(collectRequests(records, { itlCapacity: 3000 }).samples.itl, sampled, 'seeded');
});
