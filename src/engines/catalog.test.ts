import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KittError } from '../core/errors.js';
import { assertModeSupported, ENGINE_CATALOG, ENGINE_NAMES, engineDefinition, parseEngineName } from './catalog.js';
import type { EngineDefinition } from './engine-definition.js';

test('an unknown engine is UNKNOWN_ENGINE and lists every valid name', () => {
  assert.throws(
    () => parseEngineName('lmdeploy'),
    (error: unknown) =>
      error instanceof KittError &&
      error.code === 'UNKNOWN_ENGINE' &&
      error.message === 'unknown engine "lmdeploy"' &&
      error.hint === 'use one of: embedded, llamacpp, vllm, sglang, tgi, ollama, exllamav2',
  );
});

test('KITT-style and upstream spellings resolve', () => {
  assert.equal(parseEngineName('llama_cpp'), 'llamacpp');
  assert.equal(parseEngineName('llama.cpp'), 'llamacpp');
  assert.equal(parseEngineName('TabbyAPI'), 'exllamav2');
  assert.equal(parseEngineName('llama-server'), 'llamacpp');
  assert.equal(parseEngineName('text-generation-inference'), 'tgi');
});

test('the catalog holds the documented ports, readiness paths and APIs', () => {
  const table = Object.values(ENGINE_CATALOG).map((e) => [e.name, e.defaultPort, e.readiness.httpPath, e.api]);
  assert.deepEqual(table, [
    ['embedded', 0, '/health', 'openai'],
    ['llamacpp', 8081, '/health', 'openai'],
    ['vllm', 8000, '/health', 'openai'],
    ['sglang', 30000, '/health', 'openai'],
    ['tgi', 8080, '/health', 'openai'],
    ['ollama', 11434, '/api/tags', 'ollama'],
    ['exllamav2', 8000, '/health', 'openai'],
  ]);
  assert.deepEqual(ENGINE_NAMES, ['embedded', 'llamacpp', 'vllm', 'sglang', 'tgi', 'ollama', 'exllamav2']);
});

test('the embedded engine is an ordinary entry: embedded mode only, a GGUF file, a port of its own choosing', () => {
  const embedded = engineDefinition('embedded');
  assert.deepEqual([embedded.modes, embedded.modelKind, embedded.formats], [['embedded'], 'file', ['gguf']]);
  assert.equal(embedded.spawnChild !== undefined && embedded.hostCommand !== undefined, true);
});

test('every definition can launch in each mode it lists', () => {
  for (const definition of Object.values<EngineDefinition>(ENGINE_CATALOG)) {
    for (const mode of definition.modes) {
      const launcher =
        mode === 'docker'
          ? definition.containerPlan
          : mode === 'native'
            ? definition.hostCommand
            : definition.spawnChild;
      assert.ok(launcher, `${definition.name} lists ${mode} but has no launcher for it`);
      if (mode === 'docker') assert.ok(definition.images.length > 0, `${definition.name} has no image`);
    }
  }
});

test('a mode the engine lacks names the modes it has', () => {
  assert.throws(
    () => assertModeSupported({ engine: 'exllamav2', mode: 'native' }),
    (e: unknown) => e instanceof KittError && e.hint === 'use --mode docker',
  );
  assert.doesNotThrow(() => assertModeSupported({ engine: 'llamacpp', mode: 'native' }));
});
