import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLoadSpec } from './load-spec.js';
import { startOffsets } from './stage-runner.js';

const fixed = (concurrency: number, startSpreadS?: number) => {
  const spec = parseLoadSpec({ kind: 'fixed-concurrency', concurrency, requests: 10, startSpreadS });
  if (spec.kind !== 'fixed-concurrency') throw new Error('a fixed-concurrency spec');
  return spec;
};
const alone = { index: 0, count: 1 };

test('a fixed concurrency spreads its first sends over 5 ms a user, at most 1 s, none at the same instant', () => {
  const ten = startOffsets(fixed(10), 10, alone);
  assert.equal(ten.length, 10);
  assert.equal(ten[0], 0, 'the first user starts at once');
  assert.ok(
    ten.every((ms) => ms >= 0 && ms < 50),
    `within 50 ms: ${ten}`,
  );
  assert.equal(new Set(ten.map((ms) => ms.toFixed(3))).size, 10, 'no two users start together');
  const many = startOffsets(fixed(400), 400, alone);
  assert.ok(Math.max(...many) < 1000 && Math.max(...many) > 990, 'capped at one second');
});

test('the spread does not fall into a few lockstep groups of a 10 ms token interval', () => {
  // even 2 ms steps would leave 5 phases of 40 streams; the golden-ratio order fills every ms
  const phases = startOffsets(fixed(200), 200, alone).map((ms) => Math.floor(ms % 10));
  const counts = Array.from({ length: 10 }, (_, phase) => phases.filter((p) => p === phase).length);
  assert.ok(Math.max(...counts) <= 30, `streams per 1 ms phase of 10: ${counts}`);
});

test('startSpreadS 0 opens every stream at once; workers interleave their users over one spread', () => {
  assert.deepEqual(startOffsets(fixed(8, 0), 8, alone), Array(8).fill(0));
  const first = startOffsets(fixed(8, 1), 4, { index: 0, count: 2 });
  const second = startOffsets(fixed(8, 1), 4, { index: 1, count: 2 });
  const all = [...first, ...second].map((ms) => ms.toFixed(3));
  assert.equal(new Set(all).size, 8, 'two shards never start a user at the same instant');
  assert.deepEqual(startOffsets(fixed(1), 1, alone), []);
});
