import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KittError } from '../core/errors.js';
import type { EngineRequest } from './engine.js';
import { resolveEngineRequest } from './engine-settings.js';

const request: EngineRequest = {
  engine: 'llamacpp',
  mode: 'docker',
  modelPath: '/m.gguf',
  limits: {},
  engineArgs: ['--ctx-size', '8192'],
  runId: 'r-1',
};
const settings = {
  images: { llamacpp: 'config/llama:1' },
  profiles: {
    'big-ctx': {
      engine: 'llamacpp' as const,
      args: ['--ctx-size', '32768', '--flash-attn'],
      env: { A: '1' },
      image: 'profile/llama:2',
    },
    fast: { engine: 'vllm' as const, args: ['--enforce-eager'] },
  },
};

test('profile flags come first so --engine-arg overrides them', () => {
  const resolved = resolveEngineRequest(request, settings, 'big-ctx');
  assert.deepEqual(resolved.request.engineArgs, ['--ctx-size', '32768', '--flash-attn', '--ctx-size', '8192']);
  assert.deepEqual(resolved.env, { A: '1' });
});

test('image precedence: --image, then profile, then config', () => {
  assert.equal(
    resolveEngineRequest({ ...request, image: 'cli/llama:3' }, settings, 'big-ctx').imageOverride,
    'cli/llama:3',
  );
  assert.equal(resolveEngineRequest(request, settings, 'big-ctx').imageOverride, 'profile/llama:2');
  assert.equal(resolveEngineRequest(request, settings).imageOverride, 'config/llama:1');
  assert.equal(resolveEngineRequest(request, {}).imageOverride, undefined);
});

test('an unknown profile lists the defined ones; a profile for another engine is refused', () => {
  assert.throws(
    () => resolveEngineRequest(request, settings, 'nope'),
    (e: unknown) => e instanceof KittError && e.hint === 'use one of: big-ctx, fast',
  );
  assert.throws(() => resolveEngineRequest(request, settings, 'fast'), /is for vllm, not llamacpp/);
});

test('config flags and env come before the profile and the command line', () => {
  const resolved = resolveEngineRequest(
    request,
    { ...settings, args: { llamacpp: ['--mlock'] }, env: { llamacpp: { A: '0', B: '2' } } },
    'big-ctx',
  );
  assert.deepEqual(resolved.request.engineArgs, [
    '--mlock',
    '--ctx-size',
    '32768',
    '--flash-attn',
    '--ctx-size',
    '8192',
  ]);
  assert.deepEqual(resolved.env, { A: '1', B: '2' });
});
