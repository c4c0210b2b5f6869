import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KittError } from '../core/errors.js';
import { PhaseTracker, planLoad } from './load-plan.js';
import { parseLoadSpec, validateLoadSpec } from './load-spec.js';

test('validation returns every problem at once, each with its path', () => {
  const result = validateLoadSpec({
    kind: 'constant-rate',
    rate: -1,
    maxInFlight: 0.5,
    warmup: { requests: 1, durationS: 2 },
    bogus: 1,
  });
  assert.equal(result.ok, false);
  if (result.ok) return;
  const paths = result.issues.map((issue) => issue.path).sort();
  assert.deepEqual(paths, ['', 'maxInFlight', 'rate', 'requests', 'warmup'].sort());
});

test('an unknown kind lists the valid ones', () => {
  const result = validateLoadSpec({ kind: 'burst', rate: 3 });
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.match(
    result.issues[0]!.message,
    /valid kinds: synchronous, fixed-concurrency, constant-rate, poisson, ramp-rate, ramp-concurrency, sweep/,
  );
  assert.throws(
    () => parseLoadSpec({ kind: 'burst' }),
    (error: unknown) => error instanceof KittError && error.code === 'UNKNOWN_KIND',
  );
});

test('a closed loop refuses an in-flight cap: its concurrency is the cap', () => {
  const result = validateLoadSpec({ kind: 'fixed-concurrency', concurrency: 2, requests: 3, maxInFlight: 1 });
  assert.equal(result.ok, false);
  const sweep = validateLoadSpec({
    kind: 'sweep',
    of: 'fixed-concurrency',
    levels: [1, 2],
    requests: 3,
    maxInFlight: 1,
  });
  assert.deepEqual(sweep.ok ? [] : sweep.issues.map((issue) => issue.path), ['maxInFlight']);
  assert.equal(
    validateLoadSpec({ kind: 'sweep', of: 'poisson', levels: [1, 2], requests: 3, maxInFlight: 1 }).ok,
    true,
  );
});

test('the plan states concurrency, duration and requests before anything runs', () => {
  const open = planLoad(
    parseLoadSpec({ kind: 'constant-rate', rate: 10, durationS: 60, warmup: { durationS: 5 }, maxInFlight: 8 }),
  );
  assert.equal(open.maxConcurrency, 8);
  assert.equal(open.durationS, 65);
  assert.equal(open.requests, 650);
  const uncapped = planLoad(parseLoadSpec({ kind: 'poisson', rate: 4, requests: 100 }));
  assert.equal(uncapped.maxConcurrency, null);
  assert.equal(uncapped.durationS, 25);
  const closed = planLoad(
    parseLoadSpec({ kind: 'fixed-concurrency', concurrency: 4, requests: 50, warmup: { requests: 10 } }),
  );
  assert.equal(closed.maxConcurrency, 4);
  assert.equal(closed.durationS, null);
  assert.equal(closed.requests, 60);
  const ramp = planLoad(parseLoadSpec({ kind: 'ramp-rate', from: 0, to: 10, durationS: 20 }));
  assert.equal(ramp.durationS, 20);
  assert.equal(ramp.requests, 100);
  const sweep = planLoad(parseLoadSpec({ kind: 'sweep', of: 'fixed-concurrency', levels: [1, 4, 8], durationS: 30 }));
  assert.equal(sweep.stages.length, 3);
  assert.equal(sweep.maxConcurrency, 8);
  assert.equal(sweep.durationS, 90);
});

test('phases follow counts and times in order, then the run ends', () => {
  const byCount = new PhaseTracker(
    parseLoadSpec({ kind: 'synchronous', requests: 3, warmup: { requests: 2 }, cooldown: { requests: 1 } }) as never,
  );
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6].map((t) => byCount.assign(t)),
    ['warmup', 'warmup', 'measure', 'measure', 'measure', 'cooldown', null],
  );
  const byTime = new PhaseTracker(
    parseLoadSpec({
      kind: 'constant-rate',
      rate: 1,
      durationS: 2,
      warmup: { durationS: 1 },
      cooldown: { durationS: 1 },
    }) as never,
  );
  assert.deepEqual(
    [0, 500, 1000, 2999, 3000, 3999, 4000].map((t) => byTime.assign(t)),
    ['warmup', 'warmup', 'measure', 'measure', 'cooldown', 'cooldown', null],
  );
  assert.equal(byTime.measureStartMs, 1000);
  assert.equal(byTime.measureEndMs, 3000);
});
