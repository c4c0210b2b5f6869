import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KittError } from '../../core/errors.js';
import { rateKey } from '../shared/calibrated-rate.js';
import { agentsRateKey, DEFAULT_TOKENS_PER_S, resolveRate } from './resolve-rate.js';

const key = rateKey('llamacpp', { cpus: 1, memoryBytes: 2 * 1024 ** 3 });

test('the calibrated rate is read from compute.rates under <engine>/<limits>', () => {
  assert.equal(key, 'llamacpp/1cpu-2GiB');
  const rate = resolveRate({ kind: 'calibrated' }, { [key]: { value: 420, unit: 'tokens/s' } }, key);
  assert.deepEqual([rate.tokensPerS, rate.source, rate.warning], [420, 'calibrated', undefined]);
});

test("kitt calibrate's requests/s become tokens/s of its 128 + 64 token requests", () => {
  const rate = resolveRate({ kind: 'calibrated' }, { [key]: { value: 2.5, unit: 'requests/s' } }, key);
  assert.equal(rate.tokensPerS, 480);
  assert.match(rate.note!, /2\.5 requests\/s × 192 tokens per calibration request/);
});

test('without a calibration the conservative default stands, with a warning naming kitt calibrate', () => {
  const rate = resolveRate({ kind: 'calibrated' }, { 'llamacpp/2cpu': { value: 9, unit: 'tokens/s' } }, key);
  assert.equal(rate.tokensPerS, DEFAULT_TOKENS_PER_S);
  assert.equal(rate.source, 'default');
  assert.match(rate.warning!, /no calibrated rate for llamacpp\/1cpu-2GiB.*5 tokens\/s.*kitt calibrate/);
});

test('a number is taken as it is, off means no bucket, auto is refused with the way round it', () => {
  assert.equal(resolveRate({ kind: 'fixed', tokensPerS: 77 }, {}, key).tokensPerS, 77);
  assert.equal(resolveRate({ kind: 'off' }, {}, key).tokensPerS, undefined);
  assert.throws(
    () => resolveRate({ kind: 'auto' }, {}, key),
    (error: unknown) => error instanceof KittError && error.code === 'USAGE' && /kitt calibrate/.test(error.hint ?? ''),
  );
});

test('--rate calibrated prefers the rate the agents calibrated by their own traffic, apart from the completions one', () => {
  const rates = {
    [key]: { value: 15, unit: 'requests/s' as const },
    [agentsRateKey(key)]: { value: 900, unit: 'tokens/s' as const },
  };
  const rate = resolveRate({ kind: 'calibrated' }, rates, key);
  assert.deepEqual([rate.tokensPerS, rate.source, rate.key], [900, 'calibrated', 'llamacpp/1cpu-2GiB:agents']);
  assert.equal(resolveRate({ kind: 'calibrated' }, { [key]: rates[key]! }, key).tokensPerS, 15 * 192);
});
