import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KittError } from '../../core/errors.js';
import { OptionIssues } from '../../core/option-issues.js';
import { readCpuBand } from '../shared/cpu-band-option.js';
import {
  calibrationSettingsFrom,
  planCalibrationRun,
  readContextsSettings,
  readLatencySlo,
} from './calibrate-options.js';

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
  const issues = new OptionIssues();
  assert.deepEqual(readCpuBand('70%-85%', issues), { low: 70, high: 85 });
  assert.deepEqual(readLatencySlo('ttft=500ms,tpot=50ms,ttft-p99=1s', issues), {
    ttftP95Ms: 500,
    tpotP95Ms: 50,
    ttftP99Ms: 1000,
  });
  assert.deepEqual(issues.list, []);
  const settings = calibrationSettingsFrom({
    ...defaults,
    slo: 'ttft=0.5s',
    objective: 'both',
    soak: '0',
    window: '1h',
  });
  assert.equal(settings.policy.objective, 'both');
  assert.equal(settings.policy.soak, false);
  assert.equal(settings.policy.slo?.ttftP95Ms, 500);
  assert.equal(settings.windowMs, 3_600_000);
  assert.equal(settings.policy.precision, undefined);
  assert.equal(calibrationSettingsFrom({ ...defaults, precision: '5%' }).policy.precision, 0.05);
  assert.equal(calibrationSettingsFrom({ ...defaults, precision: '2.5' }).policy.precision, 0.025);
});

test('rejects each bad flag with one line and a hint naming the fix', () => {
  const bad = [
    { ...defaults, targetCpu: '90-80' },
    { ...defaults, precision: '0' },
    { ...defaults, precision: 'tight' },
    { ...defaults, precision: '5', slo: 'ttft=1s', objective: 'slo' },
    { ...defaults, targetCpu: '80-120' },
    { ...defaults, objective: 'slo' },
    { ...defaults, objective: 'fast' },
    { ...defaults, slo: 'latency=5' },
    { ...defaults, slo: 'e2e=5s' },
    { ...defaults, slo: 'ttft-p50=1s' },
    { ...defaults, maxWindows: '1' },
    { ...defaults, startRate: '0' },
    { ...defaults, window: 'soon' },
  ];
  for (const flags of bad) {
    assert.throws(
      () => calibrationSettingsFrom(flags),
      (error: unknown) =>
        error instanceof KittError &&
        error.code === 'USAGE' &&
        !error.message.includes('\n') &&
        (error.hint?.length ?? 0) > 0,
      JSON.stringify(flags),
    );
  }
});

test('the calibration plan reports every problem at once, the missing required flags included', () => {
  assert.throws(
    () =>
      planCalibrationRun(
        { ...defaults, window: 'soon', objective: 'slo', promptTokens: '0', outputTokens: '64', memory: '2g' },
        { runId: 'r', env: {} },
      ),
    (error: unknown) => {
      assert.ok(error instanceof KittError);
      assert.equal(error.code, 'USAGE');
      const lines = error.message.split('\n').slice(1);
      for (const expected of [
        /needs -e, --engine/,
        /needs -m, --model/,
        /needs --cpus/,
        /--objective slo needs/,
        /--window/,
        /--prompt-tokens/,
      ]) {
        assert.ok(
          lines.some((line) => expected.test(line)),
          `${expected} in ${error.message}`,
        );
      }
      assert.ok(!lines.some((line) => /--memory/.test(line)), 'the flags given are not reported');
      return true;
    },
  );
  const plan = planCalibrationRun(
    {
      ...defaults,
      engine: 'llamacpp',
      model: 'm.gguf',
      cpus: '1',
      memory: '2g',
      promptTokens: '32',
      outputTokens: '16',
    },
    { runId: 'r', env: {} },
  );
  assert.equal(plan.engine.limits.cpus, 1);
  assert.equal(plan.engine.limits.memoryBytes, 2 * 1024 ** 3);
  assert.deepEqual(
    [plan.prompts.kind === 'synthetic' && plan.prompts.inputTokens, plan.prompts.outputTokens],
    [32, 16],
  );
});

test('the contexts phase runs by default after the rate, --no-contexts skips it, and a context too short to fill is refused', () => {
  const issues = new OptionIssues();
  assert.deepEqual(readContextsSettings({}, issues), { margin: 0.1, ceiling: 64 });
  assert.deepEqual(readContextsSettings({ contextTokens: '1024', contextsCeiling: '200' }, issues), {
    margin: 0.1,
    ceiling: 200,
    contextTokens: 1024,
  });
  assert.equal(readContextsSettings({ contexts: false }, issues), undefined);
  assert.deepEqual(issues.list, []);
  readContextsSettings({ contextTokens: '16', contextsCeiling: 'many' }, issues);
  assert.equal(issues.list.length, 2, JSON.stringify(issues.list));
});
