import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KittError } from '../core/errors.js';
import { assertModeSupported, ENGINE_CATALOG, ENGINE_NAMES, engineDefinition, parseEngineName } from './catalog.js';

test('an unknown engine is UNKNOWN_ENGINE and lists every valid name', () => {
  assert.throws(
    () => parseEngineName('tgi'),
    (error: unknown) =>
      error instanceof KittError &&
      error.code === 'UNKNOWN_ENGINE' &&
      error.message === 'unknown engine "tgi"' &&
      error.hint === 'use one of: embedded, llamacpp, vllm, ollama, exllamav2',
  );
});

test('KITT-style and upstream spellings resolve', () => {
  assert.equal(parseEngineName('llama_cpp'), 'llamacpp');
  assert.equal(parseEngineName('llama.cpp'), 'llamacpp');
  assert.equal(parseEngineName('TabbyAPI'), 'exllamav2');
});

test('the catalog holds the documented ports, readiness paths and APIs', () => {
  const table = Object.values(ENGINE_CATALOG).map((e) => [e.name, e.defaultPort, e.readiness.httpPath, e.api]);
  assert.deepEqual(table, [
    ['llamacpp', 8081, '/health', 'openai'],
    ['vllm', 8000, '/health', 'openai'],
    ['ollama', 11434, '/api/tags', 'ollama'],
    ['exllamav2', 8000, '/health', 'openai'],
  ]);
  assert.deepEqual(ENGINE_NAMES, ['embedded', 'llamacpp', 'vllm', 'ollama', 'exllamav2']);
});

test('embedded has no server definition', () => {
  assert.throws(() => engineDefinition('embedded'), /runs inside kitt/);
});

test('a mode the engine lacks names the modes it has', () => {
  assert.throws(
    () => assertModeSupported({ engine: 'exllamav2', mode: 'native' }),
    (e: unknown) => e instanceof KittError && e.hint === 'use --mode docker',
  );
  assert.doesNotThrow(() => assertModeSupported({ engine: 'llamacpp', mode: 'native' }));
});
