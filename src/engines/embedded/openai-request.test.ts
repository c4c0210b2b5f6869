import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BadRequestError, parseGenerationRequest } from './openai-request.js';

test('a completion request takes the OpenAI and llama.cpp fields', () => {
  const request = parseGenerationRequest('completion', {
    model: 'm',
    prompt: ['Hello'],
    max_tokens: 16,
    temperature: 0,
    top_p: 0.5,
    seed: 3,
    stop: 'END',
    ignore_eos: true,
    min_tokens: 4,
    stream: true,
    stream_options: { include_usage: true },
  });
  assert.deepEqual(request.input, { kind: 'completion', prompt: 'Hello' });
  assert.equal(request.params.maxTokens, 16);
  assert.equal(request.params.temperature, 0);
  assert.deepEqual(request.params.stop, ['END']);
  assert.equal(request.params.ignoreEos, true);
  assert.equal(request.params.minTokens, 4);
  assert.equal(request.stream, true);
  assert.equal(request.includeUsage, true);
});

test('max_tokens -1 means no limit and max_completion_tokens wins over max_tokens', () => {
  assert.equal(parseGenerationRequest('completion', { prompt: 'x', max_tokens: -1 }).params.maxTokens, undefined);
  assert.equal(
    parseGenerationRequest('completion', { prompt: 'x', max_tokens: 5, max_completion_tokens: 7 }).params.maxTokens,
    7,
  );
});

test('chat content parts are flattened and developer is a system message', () => {
  const request = parseGenerationRequest('chat', {
    messages: [
      { role: 'developer', content: 'rules' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'a' },
          { type: 'text', text: 'b' },
        ],
      },
    ],
  });
  assert.deepEqual(request.input, {
    kind: 'chat',
    messages: [
      { role: 'system', content: 'rules' },
      { role: 'user', content: 'ab' },
    ],
  });
});

test('invalid requests name the field at fault', () => {
  const bad = (kind: 'completion' | 'chat', body: unknown, pattern: RegExp) =>
    assert.throws(
      () => parseGenerationRequest(kind, body),
      (error: unknown) => error instanceof BadRequestError && pattern.test(error.message),
    );
  bad('completion', [], /JSON object/);
  bad('completion', { prompt: 5 }, /'prompt'/);
  bad('completion', { prompt: 'x', max_tokens: 1.5 }, /'max_tokens' must be an integer/);
  bad('completion', { prompt: 'x', temperature: 'hot' }, /'temperature'/);
  bad('completion', { prompt: 'x', stop: [1] }, /'stop'/);
  bad('chat', { messages: [] }, /'messages'/);
  bad('chat', { messages: [{ role: 'tool', content: 'x' }] }, /role/);
  bad('chat', { messages: [{ role: 'user', content: [{ type: 'image_url' }] }] }, /text parts/);
});
