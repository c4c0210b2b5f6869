import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_CONFIG } from '../../config/config-schema.js';
import { KittError } from '../../core/errors.js';
import { type LoadFlags, loadSpecFrom } from './load-options.js';

test('no flags gives the config default: a short fixed-concurrency load with a warmup', () => {
  const spec = loadSpecFrom({}, DEFAULT_CONFIG);
  assert.equal(spec.kind, 'fixed-concurrency');
  assert.equal(spec.kind === 'fixed-concurrency' && spec.concurrency, DEFAULT_CONFIG.run.load.concurrency);
  assert.equal(spec.requests, DEFAULT_CONFIG.run.load.requests);
  assert.deepEqual(spec.warmup, { requests: 4 });
  assert.equal(spec.prompts?.kind, 'synthetic');
});

test('a duration replaces the default request count, and a rate makes constant-rate work', () => {
  const spec = loadSpecFrom(
    { load: 'constant-rate', rate: '2.5', duration: '30s', maxInFlight: '4', overflow: 'drop' },
    DEFAULT_CONFIG,
  );
  assert.equal(spec.kind, 'constant-rate');
  assert.equal(spec.durationS, 30);
  assert.equal(spec.requests, undefined);
  assert.equal(spec.kind === 'constant-rate' && spec.rate, 2.5);
  assert.equal(spec.kind === 'constant-rate' && spec.maxInFlight, 4);
  assert.equal(spec.kind === 'constant-rate' && spec.overflow, 'drop');
});

test('a sweep takes its levels and kind', () => {
  const spec = loadSpecFrom(
    { load: 'sweep', levels: '1,2,4', sweepOf: 'fixed-concurrency', requests: '8' },
    DEFAULT_CONFIG,
  );
  assert.equal(spec.kind === 'sweep' && spec.of, 'fixed-concurrency');
  assert.deepEqual(spec.kind === 'sweep' && spec.levels, [1, 2, 4]);
});

test('ramps are reachable from flags: --from, --to and --duration, the config request count left out', () => {
  const rate = loadSpecFrom({ load: 'ramp-rate', from: '0', to: '20', duration: '5m' }, DEFAULT_CONFIG);
  assert.equal(rate.kind, 'ramp-rate');
  assert.deepEqual(rate.kind === 'ramp-rate' && [rate.from, rate.to, rate.durationS, rate.requests], [
    0,
    20,
    300,
    undefined,
  ]);
  const users = loadSpecFrom(
    { load: 'ramp-concurrency', from: '1', to: '32', duration: '1h', requests: '500' },
    DEFAULT_CONFIG,
  );
  assert.deepEqual(
    users.kind === 'ramp-concurrency' && [users.from, users.to, users.durationS, users.requests],
    [1, 32, 3600, 500],
  );
});

test('a load file wins whole and its problems are all listed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-load-'));
  writeFileSync(join(dir, 'ok.yaml'), 'kind: poisson\nrate: 3\nrequests: 10\nseed: 7\n');
  const spec = loadSpecFrom({ loadFile: join(dir, 'ok.yaml') }, DEFAULT_CONFIG);
  assert.equal(spec.kind, 'poisson');
  assert.equal(spec.requests, 10);
  writeFileSync(join(dir, 'bad.yaml'), 'kind: constant-rate\nrate: -1\nmaxInFlight: 0\n');
  assert.throws(
    () => loadSpecFrom({ loadFile: join(dir, 'bad.yaml') }, DEFAULT_CONFIG),
    (error: Error) => {
      assert.match(error.message, /rate/);
      assert.match(error.message, /maxInFlight/);
      assert.match(error.message, /requests/);
      return true;
    },
  );
  assert.throws(
    () => loadSpecFrom({ loadFile: join(dir, 'ok.yaml'), requests: '99', rate: '2' }, DEFAULT_CONFIG),
    (error: KittError) =>
      error.code === 'USAGE' &&
      /--load-file is the whole load spec, so --requests, --rate would be ignored/.test(error.message) &&
      /drop --requests, --rate/.test(error.hint ?? ''),
  );
});

/** The one USAGE error's problems, one per line. */
function problems(flags: LoadFlags): string[] {
  try {
    loadSpecFrom(flags, DEFAULT_CONFIG);
  } catch (error) {
    assert.ok(error instanceof KittError);
    assert.equal(error.code, 'USAGE');
    const lines = error.message.split('\n');
    return lines.length === 1 ? [`${error.message} (${error.hint})`] : lines.slice(1).map((line) => line.trim());
  }
  assert.fail(`no error for ${JSON.stringify(flags)}`);
}

test('each bad load flag is a problem naming its fix', () => {
  const cases: Array<[LoadFlags, RegExp]> = [
    [{ load: 'burst' }, /--load "burst" is not one of synchronous, .*ramp-rate, ramp-concurrency, sweep/],
    [{ load: 'constant-rate' }, /--load constant-rate needs a rate \(add --rate/],
    [{ requests: '-3' }, /--requests must be a whole number above 0, got "-3" \(e\.g\. --requests 32\)/],
    [{ load: 'sweep' }, /--load sweep needs levels \(add --levels 1,2,4/],
    [{ load: 'ramp-rate', duration: '1m' }, /--load ramp-rate needs --from and --to \(e\.g\. --from 0\.5 --to 20/],
    [
      { load: 'ramp-concurrency', from: '1', to: '8' },
      /needs --duration, the length of the ramp \(e\.g\. --duration 5m\)/,
    ],
    [
      { duration: 'soon' },
      /--duration must be a duration, got "soon" \(write e\.g\. 500ms, 30s, 2m or 1h; a bare number is seconds\)/,
    ],
    [{ loadFile: '/nonexistent/spec.yaml' }, /cannot be read/],
    [
      { rate: '5' },
      /--rate applies to constant-rate, poisson, not the configured load, fixed-concurrency \(add --load constant-rate, or drop --rate\)/,
    ],
    [{ load: 'poisson', rate: '2', levels: '1,2' }, /--levels applies to sweep, not --load poisson \(add --load sweep/],
    [
      { load: 'synchronous', maxInFlight: '4' },
      /--max-in-flight applies to constant-rate, poisson, ramp-rate, sweep, not --load synchronous/,
    ],
    [{ load: 'constant-rate', rate: '1', from: '1' }, /--from applies to ramp-rate, ramp-concurrency/],
    [
      { load: 'sweep', levels: '1,2', sweepOf: 'fixed-concurrency', maxInFlight: '4' },
      /sweep of fixed-concurrency is closed-loop/,
    ],
    [{ dataset: 'p.jsonl', promptTokens: '64' }, /--prompt-tokens applies to synthetic prompts, not a --dataset/],
    [{ datasetFormat: 'sharegpt' }, /--dataset-format applies to a --dataset \(add --dataset PATH/],
    [{ load: 'sweep', levels: '1,,4' }, /--levels has an empty item/],
    [{ load: 'constant-rate', rate: '1', startSpread: '1s' }, /--start-spread applies to fixed-concurrency, sweep/],
    [
      { load: 'sweep', levels: '1,2', startSpread: '1s' },
      /spreads the first sends of a fixed concurrency \(drop it, or add --sweep-of fixed-concurrency/,
    ],
    [{ startSpread: 'slowly' }, /--start-spread must be a duration/],
    [{ overflow: 'spill', load: 'poisson', rate: '1' }, /--overflow "spill" is not one of queue, drop/],
    [{ stamps: 'kernel' }, /--stamps "kernel" is not one of socket, event-loop/],
  ];
  for (const [flags, expected] of cases) {
    const found = problems(flags);
    assert.equal(found.length, 1, `${JSON.stringify(flags)}: ${found.join(' | ')}`);
    assert.match(found[0]!, expected, JSON.stringify(flags));
  }
});

test('every problem is reported at once, one line each', () => {
  const found = problems({ rate: '5', levels: '1,2', requests: '0', warmup: '-1', timeout: 'later', workers: 'x' });
  assert.equal(found.length, 6, found.join('\n'));
  for (const expected of [
    /^--rate applies/,
    /^--levels applies/,
    /^--requests must/,
    /^--warmup must/,
    /^--timeout must/,
    /^--workers must/,
  ]) {
    assert.ok(
      found.some((line) => expected.test(line)),
      `${expected}:\n${found.join('\n')}`,
    );
  }
  assert.ok(
    found.every((line) => /\(.+\)$/.test(line)),
    'each line ends with its fix',
  );
});

test('--stamps reaches the spec; without it the spec leaves the default (socket) to the load runner', () => {
  assert.equal(loadSpecFrom({ stamps: 'event-loop' }, DEFAULT_CONFIG).stamps, 'event-loop');
  assert.equal(loadSpecFrom({}, DEFAULT_CONFIG).stamps, undefined);
});

test('--prompt-salt and --shared-prefix reach the prompt spec; without a salt the spec draws one', () => {
  const spec = loadSpecFrom({ promptSalt: 'run42', sharedPrefix: '16x2' }, DEFAULT_CONFIG);
  assert.equal(spec.prompts?.kind === 'synthetic' && spec.prompts.salt, 'run42');
  assert.deepEqual(spec.prompts?.kind === 'synthetic' && spec.prompts.sharedPrefix, { tokens: 16, groups: 2 });
  const fresh = loadSpecFrom({}, DEFAULT_CONFIG);
  assert.match(String(fresh.prompts?.kind === 'synthetic' && fresh.prompts.salt), /^[0-9a-f]{8}$/);
});

test('--start-spread reaches a fixed concurrency and a sweep of it as startSpreadS', () => {
  const fixed = loadSpecFrom({ load: 'fixed-concurrency', concurrency: '8', startSpread: '2s' }, DEFAULT_CONFIG);
  assert.equal(fixed.kind === 'fixed-concurrency' && fixed.startSpreadS, 2);
  const atOnce = loadSpecFrom({ load: 'fixed-concurrency', startSpread: '0' }, DEFAULT_CONFIG);
  assert.equal(atOnce.kind === 'fixed-concurrency' && atOnce.startSpreadS, 0);
  const sweep = loadSpecFrom(
    { load: 'sweep', levels: '1,4', sweepOf: 'fixed-concurrency', startSpread: '500ms' },
    DEFAULT_CONFIG,
  );
  assert.equal(sweep.kind === 'sweep' && sweep.startSpreadS, 0.5);
});
