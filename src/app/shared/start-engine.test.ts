import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_CONFIG, type KittConfig } from '../../config/config-schema.js';
import { KittError } from '../../core/errors.js';
import { assertEngineNames, engineSettingsFrom } from './start-engine.js';

const withEngines = (engines: KittConfig['engines'], run: Partial<KittConfig['run']> = {}): KittConfig => ({
  ...DEFAULT_CONFIG,
  run: { ...DEFAULT_CONFIG.run, ...run },
  engines,
});

test('engine names in the config are checked against the catalog, all bad ones in one line', () => {
  assert.throws(
    () =>
      assertEngineNames(
        withEngines({ llama: { image: 'x' }, profiles: { fast: { engine: 'vlm' } } }, { engine: 'tabby-api2' }),
      ),
    (error: unknown) =>
      error instanceof KittError &&
      error.code === 'CONFIG_INVALID' &&
      error.message ===
        'unknown engine in the config: engines.llama, engines.profiles.fast.engine "vlm", run.engine "tabby-api2"' &&
      error.hint === 'use one of: embedded, llamacpp, vllm, sglang, tgi, ollama, exllamav2',
  );
});

test('a new engine is configured like any other: its section reaches the settings', () => {
  const settings = engineSettingsFrom(
    withEngines({ sglang: { image: 'lmsysorg/sglang:custom', args: ['--tp', '2'], startupTimeout: '90s' } }),
  );
  assert.equal(settings.images?.sglang, 'lmsysorg/sglang:custom');
  assert.deepEqual(settings.args?.sglang, ['--tp', '2']);
  assert.equal(settings.startupTimeoutMs?.sglang, 90_000);
});
