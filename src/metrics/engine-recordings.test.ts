import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { engineReportFromLlamaCpp } from '../load/response-decoder.js';
import { streamedRecord } from '../testing/request-records.js';
import { crossCheckEngine } from './engine-cross-check.js';

// Responses llama-server really sent (src/engines/fixtures/SOURCES.md says where each comes from).
const recorded = (name: string) =>
  JSON.parse(readFileSync(new URL(`../engines/fixtures/${name}`, import.meta.url), 'utf8')) as {
    usage?: { prompt_tokens: number; completion_tokens: number };
    timings: Record<string, number>;
  };
const PINNED = ['llamacpp-de3ff81-v1-completion.json', 'llamacpp-de3ff81-v1-completion-cached.json'];

test('the pinned llama.cpp divides its generation time by n − 1 decode steps, as kitt does', () => {
  for (const name of PINNED) {
    const { timings } = recorded(name);
    const perStep = timings.predicted_ms! / (timings.predicted_n! - 1);
    assert.ok(Math.abs(timings.predicted_per_token_ms! - perStep) < 1e-9, name);
    assert.ok(Math.abs(timings.predicted_per_token_ms! - timings.predicted_ms! / timings.predicted_n!) > 1e-3, name);
  }
  // an older build, recorded elsewhere, divided by n
  const { timings } = recorded('llamacpp-completion.json');
  assert.ok(Math.abs(timings.predicted_per_token_ms! - timings.predicted_ms! / timings.predicted_n!) < 1e-9);
});

test('on a response served from the prompt cache, usage and the engine agree on the prompt once cached tokens count', () => {
  const response = recorded('llamacpp-de3ff81-v1-completion-cached.json');
  const engine = engineReportFromLlamaCpp(response.timings);
  assert.equal(engine.promptTokens, 1);
  assert.equal(engine.cachedTokens, 10);
  const record = streamedRecord({
    sentAtMs: 0,
    arrivalsAtMs: [5],
    tokens: [response.usage!.completion_tokens],
    promptTokens: response.usage!.prompt_tokens,
    overrides: { engine },
  });
  const check = crossCheckEngine([record]);
  assert.deepEqual(check.promptTokens, { client: 11, engine: 11, delta: 0, deltaPercent: 0 });
  assert.deepEqual(check.outputTokens, { client: 16, engine: 16, delta: 0, deltaPercent: 0 });
});
