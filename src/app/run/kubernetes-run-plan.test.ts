import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLoadSpec } from '../../load/load-spec.js';
import { workerLoad } from './kubernetes-run-plan.js';

test('an open-loop rate splits into workers of rate r/N, each Poisson stream with its own seed', () => {
  const spec = parseLoadSpec({ kind: 'poisson', rate: 20, seed: 7, durationS: 60, maxInFlight: 10 });
  const shares = [0, 1, 2, 3].map((i) => workerLoad(spec, i, 4));
  assert.deepEqual(
    shares.map((s) => (s.kind === 'poisson' ? [s.rate, s.seed, s.maxInFlight, s.durationS] : null)),
    [
      [5, 7, 3, 60],
      [5, 8, 3, 60],
      [5, 9, 3, 60],
      [5, 10, 3, 60],
    ],
  );
});

test('a sweep of rates splits every level; a ramp splits both ends', () => {
  const sweep = workerLoad(
    parseLoadSpec({ kind: 'sweep', of: 'constant-rate', levels: [2, 4, 8], durationS: 30 }),
    1,
    2,
  );
  assert.deepEqual(sweep.kind === 'sweep' ? sweep.levels : null, [1, 2, 4]);
  const ramp = workerLoad(parseLoadSpec({ kind: 'ramp-rate', from: 1, to: 9, durationS: 60 }), 0, 3);
  assert.deepEqual(ramp.kind === 'ramp-rate' ? [ramp.from, ramp.to] : null, [1 / 3, 3]);
});

test('closed-loop users and requests add up to the whole over the workers', () => {
  const spec = parseLoadSpec({ kind: 'fixed-concurrency', concurrency: 10, requests: 101 });
  const shares = [0, 1, 2].map((i) => workerLoad(spec, i, 3));
  const sum = (pick: (s: (typeof shares)[number]) => number) => shares.reduce((t, s) => t + pick(s), 0);
  assert.equal(
    sum((s) => (s.kind === 'fixed-concurrency' ? s.concurrency : 0)),
    10,
  );
  assert.equal(
    sum((s) => s.requests ?? 0),
    101,
  );
  assert.ok(
    shares.every((s) => s.workers === 1),
    'one thread per worker Pod',
  );
});
