import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { KittError } from '../core/errors.js';
import { parseLlamaCppTimings, parseOllamaStream, parseOpenAiStream, parsePrometheusText } from './engine-responses.js';
import { tagsListModel } from './ollama-register.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

test('a recorded vLLM completions stream yields its text, usage and [DONE]', () => {
  const parsed = parseOpenAiStream(fixture('vllm-completions-stream.sse'));
  assert.equal(parsed.text, 'NEVERGONNAGIVEYOUUP');
  assert.equal(parsed.textChunks, 5);
  assert.deepEqual(parsed.usage, { promptTokens: 7, completionTokens: 10 });
  assert.equal(parsed.sawDone, true);
});

test('a recorded Ollama chat stream yields eval counts and nanosecond durations', () => {
  const parsed = parseOllamaStream(fixture('ollama-chat-stream.ndjson'));
  assert.equal(parsed.text, 'The');
  assert.deepEqual(parsed.usage, { promptTokens: 26, completionTokens: 282 });
  assert.equal(parsed.totalDurationNs, 4_883_583_458);
  assert.equal(parsed.evalDurationNs, 4_535_599_000);
  // Ollama's decode rate, eval_count / eval_duration: 282 / 4.5356 s = 62.17 tok/s
  assert.equal(Math.round((parsed.usage.completionTokens / parsed.evalDurationNs) * 1e9 * 100) / 100, 62.17);
});

test('an Ollama stream cut before its final object is an error, not zero tokens', () => {
  const firstLine = fixture('ollama-chat-stream.ndjson').split('\n')[0]!;
  assert.throws(() => parseOllamaStream(firstLine), KittError);
});

test('a recorded /api/tags lists models with and without the implicit :latest', () => {
  const tags = JSON.parse(fixture('ollama-tags.json'));
  assert.equal(tagsListModel(tags, 'llama3'), true);
  assert.equal(tagsListModel(tags, 'codellama:13b'), true);
  assert.equal(tagsListModel(tags, 'kitt-0123456789ab'), false);
});

test('a recorded llama.cpp /completion yields its server timings', () => {
  assert.deepEqual(parseLlamaCppTimings(JSON.parse(fixture('llamacpp-completion.json'))), {
    promptTokens: 6,
    promptMs: 201.665,
    predictedTokens: 600,
    predictedMs: 47212.818,
  });
});

test('recorded vLLM /metrics text parses into labelled samples', () => {
  const samples = parsePrometheusText(fixture('vllm-metrics.txt'));
  assert.equal(samples.length, 9);
  assert.deepEqual(samples[1], {
    name: 'vllm:iteration_tokens_total_bucket',
    labels: { le: '1.0', model_name: 'unsloth/Llama-3.2-1B-Instruct' },
    value: 3,
  });
});

test('a line that is not Prometheus text is reported with its number', () => {
  assert.throws(() => parsePrometheusText('# ok\n<html>oops</html>'), /metrics line 2/);
});
