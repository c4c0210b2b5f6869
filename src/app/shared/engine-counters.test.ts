import assert from 'node:assert/strict';
import { test } from 'node:test';
import { engineCounterDeltas } from './engine-counters.js';

test("llama.cpp's cached prompt tokens are picked apart from the computed ones", () => {
  const deltas = engineCounterDeltas('llamacpp', {
    'llamacpp:prompt_tokens_total': 66,
    'llamacpp:prompt_tokens_cached_total': 64,
    'llamacpp:tokens_predicted_total': 4,
    'llamacpp:n_decode_total': 9,
  });
  assert.deepEqual(deltas, { promptTokens: 66, cachedPromptTokens: 64, generatedTokens: 4 });
});

test('a server kitt could not recognise has no counters to cross-check, and is still measured', () => {
  assert.equal(engineCounterDeltas('unknown', { 'kitt_exact:tokens_predicted_total': 16 }), undefined);
});
