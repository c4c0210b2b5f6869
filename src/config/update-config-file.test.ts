import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { KittError } from '../core/errors.js';
import { loadConfig } from './load-config.js';
import { parseKeyPath, updateConfigFile } from './update-config-file.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('key paths split on dots and keep quoted keys whole', () => {
  assert.deepEqual(parseKeyPath('compute.rates["llamacpp/cpus=1,memory=1g"]'), [
    'compute',
    'rates',
    'llamacpp/cpus=1,memory=1g',
  ]);
  assert.deepEqual(parseKeyPath("compute.rates['a.b'].value"), ['compute', 'rates', 'a.b', 'value']);
  assert.deepEqual(parseKeyPath(['compute', 'rates', 'x.y']), ['compute', 'rates', 'x.y']);
});

test('writing a calibrated rate keeps comments and the other keys as they were', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'kitt.yaml');
  const original = [
    '# kitt settings for the lab box',
    'run:',
    '  engine: llamacpp # the server build',
    '',
    'compute:',
    '  # rates below are written by kitt calibrate',
    '  rates: {}',
    '',
  ].join('\n');
  writeFileSync(file, original);
  const rate = { value: 4.25, unit: 'requests/s', calibratedAt: '2026-02-03T04:05:06.000Z' };
  updateConfigFile(file, 'compute.rates["llamacpp/cpus=1,memory=1g"]', rate);
  const text = readFileSync(file, 'utf8');
  assert.match(text, /^# kitt settings for the lab box$/m);
  assert.match(text, /engine: llamacpp # the server build/);
  assert.match(text, /# rates below are written by kitt calibrate/);
  const { config } = loadConfig({ explicitPath: file, env: {} });
  assert.deepEqual(config.compute.rates['llamacpp/cpus=1,memory=1g'], rate);
  assert.equal(config.run.engine, 'llamacpp');

  updateConfigFile(file, ['compute', 'rates', 'llamacpp/cpus=1,memory=1g', 'value'], 5);
  assert.equal(loadConfig({ explicitPath: file, env: {} }).config.compute.rates['llamacpp/cpus=1,memory=1g']?.value, 5);
});

test('updating a file that does not exist creates it', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'sub', 'config.yaml');
  updateConfigFile(file, 'compute.rates.x', { value: 2, unit: 'tokens/s' });
  assert.ok(existsSync(file));
  assert.deepEqual(loadConfig({ explicitPath: file, env: {} }).config.compute.rates.x, { value: 2, unit: 'tokens/s' });
});

test('a value the schema refuses is not written', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'kitt.yaml');
  writeFileSync(file, 'run:\n  engine: embedded\n');
  assert.throws(
    () => updateConfigFile(file, 'compute.rates.x', { value: -1, unit: 'furlongs' }),
    (error: unknown) =>
      error instanceof KittError && error.code === 'CONFIG_INVALID' && /compute\.rates\.x\./.test(error.message),
  );
  assert.equal(readFileSync(file, 'utf8'), 'run:\n  engine: embedded\n');
});
