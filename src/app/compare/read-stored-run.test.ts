import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StoredRun } from '../../store/store-types.js';
import { factsOf } from './read-stored-run.js';

test('the facts compare judges come from the stored run: load shape apart from prompts, no salt, the configured image', () => {
  const stored: StoredRun = {
    id: 'A',
    startedAt: '2026-12-01T00:00:00.000Z',
    finishedAt: undefined,
    owner: undefined,
    status: 'succeeded',
    engine: 'llamacpp',
    mode: 'docker',
    model: 'qwen.gguf',
    modelSha256: 'aa',
    modelSizeBytes: 1,
    hardwareFingerprint: 'hw1',
    hardware: {},
    config: { engines: { llamacpp: { image: 'kitt/llama-server:cpu' } } },
    limits: { cpus: 2 },
    metrics: {
      load: { kind: 'constant-rate', rate: 2, prompts: { kind: 'synthetic', inputTokens: 64, salt: '3cb9ef68' } },
    },
    resultPath: undefined,
    error: undefined,
  };
  assert.deepEqual(factsOf(stored), {
    id: 'A',
    model: 'qwen.gguf',
    modelSha256: 'aa',
    engine: 'llamacpp',
    mode: 'docker',
    engineImage: 'kitt/llama-server:cpu',
    hardwareFingerprint: 'hw1',
    limits: { cpus: 2 },
    loadShape: { kind: 'constant-rate', rate: 2 },
    prompts: { kind: 'synthetic', inputTokens: 64 },
  });
  const older = factsOf({ ...stored, config: undefined, metrics: undefined, limits: null });
  assert.equal(older.engineImage, undefined);
  assert.equal(older.loadShape, undefined);
  assert.equal(older.limits, undefined);
});
