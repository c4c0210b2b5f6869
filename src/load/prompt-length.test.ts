import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { request } from 'undici';
import { silentProgress } from '../core/progress.js';
import type { RunningEngine } from '../engines/engine.js';
import { startEmbeddedEngine } from '../testing/start-engine-in.js';
import { ensureTestModel } from '../testing/test-model.js';
import { preparePrompts } from './prompt-source.js';
import { promptSpecSchema } from './prompt-spec.js';
import { promptText } from './request-body.js';
import { tokenizeClient } from './tokenize-client.js';

// A real llama.cpp (node-llama-cpp) with the synthetic model's tokenizer, which adds BOS.
let engine: RunningEngine;
before(async () => {
  const modelPath = await ensureTestModel();
  engine = await startEmbeddedEngine(
    { engine: 'embedded', mode: 'embedded', modelPath, limits: {}, engineArgs: [], runId: 'test', threads: 1 },
    { progress: silentProgress },
  );
});
after(async () => {
  await engine?.stop();
});

test('--prompt-tokens N reaches the server as N prompt tokens, BOS included', async () => {
  const spec = promptSpecSchema.parse({ kind: 'synthetic', inputTokens: 64, outputTokens: 1 });
  const prepared = await preparePrompts(spec, { count: 3, countTokens: tokenizeClient(engine.baseUrl, 'm') });
  for (const [id, prompt] of prepared.prompts.entries()) {
    assert.equal(prompt.inputTokens, 64);
    const response = await request(`${engine.baseUrl}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: promptText(prompt, id), max_tokens: 1 }),
    });
    const json = (await response.body.json()) as { usage: { prompt_tokens: number } };
    assert.equal(response.statusCode, 200);
    assert.equal(json.usage.prompt_tokens, 64, `prompt ${id}`);
  }
});
