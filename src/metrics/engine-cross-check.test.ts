import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failedRecord, streamedRecord } from '../testing/request-records.js';
import { crossCheckEngine } from './engine-cross-check.js';

test('client-vs-engine deltas for TTFT, TPOT and token counts are client minus engine', () => {
  const records = [
    // llama.cpp style: timings give prompt_ms and predicted_per_token_ms
    streamedRecord({
      id: 0,
      sentAtMs: 0,
      arrivalsAtMs: [110, 130, 150],
      promptTokens: 20,
      overrides: { engine: { promptMs: 100, tpotMs: 9, completionTokens: 3, promptTokens: 20 } },
    }),
    // Ollama style: durations only; TTFT = load + prompt eval, per token = eval / count
    streamedRecord({
      id: 1,
      sentAtMs: 1000,
      arrivalsAtMs: [1130, 1150, 1170, 1190],
      promptTokens: 30,
      overrides: { engine: { promptMs: 110, loadMs: 10, generationMs: 72, completionTokens: 4, promptTokens: 31 } },
    }),
    // no engine report: not compared per request, still counted for the counters
    streamedRecord({ id: 2, sentAtMs: 2000, arrivalsAtMs: [2100, 2110], promptTokens: 10 }),
    failedRecord('timeout', { id: 3, scheduledAtMs: 3000, sentAtMs: 3000, endAtMs: 4000 }),
  ];
  const check = crossCheckEngine(records, { promptTokens: 64, generatedTokens: 9 });
  assert.equal(check.requestsWithReport, 2);
  // TTFT: (110 − 100) and (130 − 120)
  assert.deepEqual(check.ttftMs, {
    pairs: 2,
    clientMean: 120,
    engineMean: 110,
    deltaMean: 10,
    deltaPercent: (10 / 110) * 100,
    deltaP50: 10,
  });
  // TPOT: client 20 and 20, engine 9 and 18
  assert.equal(check.tpotMs.clientMean, 20);
  assert.equal(check.tpotMs.engineMean, 13.5);
  assert.equal(check.tpotMs.deltaMean, 6.5);
  assert.equal(check.tpotMs.deltaP50, 2);
  assert.deepEqual(check.outputTokens, { client: 7, engine: 7, delta: 0, deltaPercent: 0 });
  assert.deepEqual(check.promptTokens, { client: 50, engine: 51, delta: -1, deltaPercent: (-1 / 51) * 100 });
  // counters cover every request sent: 20 + 30 + 10 prompt tokens, 3 + 4 + 2 output tokens
  assert.deepEqual(check.counters, {
    promptTokens: { client: 60, engine: 64, delta: -4, deltaPercent: -6.25 },
    generatedTokens: { client: 9, engine: 9, delta: 0, deltaPercent: 0 },
  });
});

test('without engine reports or counters the cross-check says so instead of inventing zeros', () => {
  const check = crossCheckEngine([streamedRecord({ sentAtMs: 0, arrivalsAtMs: [10, 20] })]);
  assert.equal(check.requestsWithReport, 0);
  assert.equal(check.ttftMs.pairs, 0);
  assert.equal(check.ttftMs.deltaMean, null);
  assert.equal(check.outputTokens, null);
  assert.equal(check.counters, null);
});

test('cached prompt tokens count on the engine side: usage includes them, prompt_n and prompt_tokens_total do not', () => {
  // llama.cpp, pinned build: usage prompt_tokens 65 = prompt_n (computed) + cache_n (reused)
  const records = [
    streamedRecord({
      id: 0,
      sentAtMs: 0,
      arrivalsAtMs: [10, 20],
      promptTokens: 65,
      overrides: { engine: { promptTokens: 65, cachedTokens: 0, completionTokens: 2 } },
    }),
    streamedRecord({
      id: 1,
      sentAtMs: 100,
      arrivalsAtMs: [110, 120],
      promptTokens: 65,
      overrides: { engine: { promptTokens: 1, cachedTokens: 64, completionTokens: 2 } },
    }),
  ];
  const check = crossCheckEngine(records, { promptTokens: 66, cachedPromptTokens: 64, generatedTokens: 4 });
  assert.deepEqual(check.promptTokens, { client: 130, engine: 130, delta: 0, deltaPercent: 0 });
  assert.equal(check.cachedPromptTokens, 64);
  assert.deepEqual(check.counters?.promptTokens, { client: 130, engine: 130, delta: 0, deltaPercent: 0 });
});
