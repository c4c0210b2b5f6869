import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RequestRecord } from '../metrics/request-record.js';
import { streamedRecord } from '../testing/request-records.js';
import { ShardMerge } from './shard-merge.js';

const record = (id: number, stage: number, phase: RequestRecord['phase'], scheduledAtMs: number): RequestRecord => ({
  ...streamedRecord({ id, sentAtMs: scheduledAtMs, arrivalsAtMs: [scheduledAtMs + 5] }),
  stage,
  phase,
});

function merged(shards: number, ramps: number[]) {
  const events: string[] = [];
  const merge = new ShardMerge(shards, new Set(ramps), {
    onRecord: (r) => events.push(`record ${r.id}`),
    onMeasureStart: (stage, atMs) => events.push(`start ${stage} at ${atMs}`),
  });
  return { merge, events };
}

test('a ramp’s measured records wait until every shard has said where its measured phase starts', () => {
  const { merge, events } = merged(2, [0]);
  merge.records(0, [record(0, 0, 'warmup', 10)]);
  merge.measureStarted(0, 0, 102);
  merge.records(0, [record(2, 0, 'measure', 102)]);
  // warmup passes at once; the measured record waits for shard 1, which may have started earlier
  assert.deepEqual(events, ['record 0']);
  merge.measureStarted(1, 0, 101);
  assert.deepEqual(events, ['record 0', 'start 0 at 101', 'record 2']);
  merge.records(1, [record(1, 0, 'measure', 101)]);
  assert.deepEqual(events.at(-1), 'record 1');
});

test('a shard that ends or moves on without a measured arrival does not hold the stage', () => {
  const { merge, events } = merged(3, [0, 1]);
  merge.measureStarted(0, 0, 50);
  merge.records(0, [record(0, 0, 'measure', 50)]);
  merge.records(1, [record(1, 1, 'warmup', 900)]); // shard 1 is past stage 0
  assert.deepEqual(events, ['record 1']);
  merge.done(2);
  assert.deepEqual(events, ['record 1', 'start 0 at 50', 'record 0']);
});

test('records of stages that are not ramps pass at once; their start is said once known', () => {
  const { merge, events } = merged(2, []);
  merge.measureStarted(1, 0, 7);
  merge.records(1, [record(5, 0, 'measure', 7)]);
  assert.deepEqual(events, ['record 5']);
  merge.measureStarted(0, 0, 6);
  assert.deepEqual(events, ['record 5', 'start 0 at 6']);
});
