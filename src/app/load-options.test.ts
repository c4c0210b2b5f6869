import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_CONFIG } from '../config/config-schema.js';
import { loadSpecFrom } from './load-options.js';

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

test('a load file wins whole and its problems are all listed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-load-'));
  writeFileSync(join(dir, 'ok.yaml'), 'kind: poisson\nrate: 3\nrequests: 10\nseed: 7\n');
  const spec = loadSpecFrom({ loadFile: join(dir, 'ok.yaml'), requests: '99' }, DEFAULT_CONFIG);
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
});

test('bad load flags are one usage error naming the fix', () => {
  assert.throws(() => loadSpecFrom({ load: 'burst' }, DEFAULT_CONFIG), /unknown load kind "burst"/);
  assert.throws(() => loadSpecFrom({ load: 'constant-rate' }, DEFAULT_CONFIG), /needs a rate/);
  assert.throws(() => loadSpecFrom({ requests: '-3' }, DEFAULT_CONFIG), /--requests must be a whole number above 0/);
  assert.throws(() => loadSpecFrom({ load: 'sweep' }, DEFAULT_CONFIG), /needs levels/);
  assert.throws(() => loadSpecFrom({ loadFile: '/nonexistent/spec.yaml' }, DEFAULT_CONFIG), /cannot be read/);
});

test('--prompt-salt and --shared-prefix reach the prompt spec; without a salt the spec draws one', () => {
  const spec = loadSpecFrom({ promptSalt: 'run42', sharedPrefix: '16x2' }, DEFAULT_CONFIG);
  assert.equal(spec.prompts?.kind === 'synthetic' && spec.prompts.salt, 'run42');
  assert.deepEqual(spec.prompts?.kind === 'synthetic' && spec.prompts.sharedPrefix, { tokens: 16, groups: 2 });
  const fresh = loadSpecFrom({}, DEFAULT_CONFIG);
  assert.match(String(fresh.prompts?.kind === 'synthetic' && fresh.prompts.salt), /^[0-9a-f]{8}$/);
});
