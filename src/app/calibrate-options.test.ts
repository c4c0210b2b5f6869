import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KittError } from '../core/errors.js';
import { calibrationSettingsFrom, parseCpuBand, parseSlo } from './calibrate-options.js';

const defaults = {
  targetCpu: '80-90',
  objective: 'cpu',
  window: '10s',
  maxWindows: '10',
  soak: '30s',
  startRate: '0.5',
  maxRate: '500',
};

test('parses the CPU band, SLO terms and windows into a policy', () => {
  assert.deepEqual(parseCpuBand('70%-85%'), { low: 70, high: 85 });
  assert.deepEqual(parseSlo('ttft=500ms,tpot=50ms,ttft-p99=1s'), { ttftP95Ms: 500, tpotP95Ms: 50, ttftP99Ms: 1000 });
  const settings = calibrationSettingsFrom({ ...defaults, slo: 'ttft=0.5s', objective: 'both', soak: '0' });
  assert.equal(settings.policy.objective, 'both');
  assert.equal(settings.policy.soak, false);
  assert.equal(settings.windowMs, 10_000);
  assert.equal(settings.policy.precision, undefined);
  assert.equal(calibrationSettingsFrom({ ...defaults, precision: '5%' }).policy.precision, 0.05);
  assert.equal(calibrationSettingsFrom({ ...defaults, precision: '2.5' }).policy.precision, 0.025);
});

test('rejects bad flags with one line and a hint naming the fix', () => {
  const bad = [
    { ...defaults, targetCpu: '90-80' },
    { ...defaults, targetCpu: '80-120' },
    { ...defaults, objective: 'slo' },
    { ...defaults, objective: 'fast' },
    { ...defaults, slo: 'latency=5' },
    { ...defaults, maxWindows: '1' },
    { ...defaults, startRate: '0' },
    { ...defaults, window: 'soon' },
    { ...defaults, precision: '0' },
    { ...defaults, precision: 'tight' },
    { ...defaults, precision: '5', slo: 'ttft=1s', objective: 'slo' },
  ];
  for (const flags of bad) {
    assert.throws(
      () => calibrationSettingsFrom(flags),
      (error: unknown) => error instanceof KittError && error.code === 'USAGE' && (error.hint?.length ?? 0) > 0,
      JSON.stringify(flags),
    );
  }
});
