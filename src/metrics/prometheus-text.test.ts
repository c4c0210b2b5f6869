import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { counterDeltas, parsePrometheusText } from './prometheus-text.js';

test('parses a recorded vLLM /metrics page: names, labels, values, types', () => {
  const text = readFileSync(new URL('../engines/fixtures/vllm-metrics.txt', import.meta.url), 'utf8');
  const scrape = parsePrometheusText(text);
  assert.ok(scrape.samples.length >= 5);
  assert.equal(scrape.types['vllm:iteration_tokens_total'], 'histogram');
  const bucket = scrape.samples.find((s) => s.name === 'vllm:iteration_tokens_total_bucket' && s.labels.le === '8.0');
  assert.equal(bucket?.value, 3);
  assert.equal(bucket?.labels.model_name, 'unsloth/Llama-3.2-1B-Instruct');
});

test('counter deltas subtract before from after, escape labels and skip gauges and resets', () => {
  const before = parsePrometheusText(
    [
      '# TYPE llamacpp:prompt_tokens_total counter',
      'llamacpp:prompt_tokens_total 100',
      'llamacpp:tokens_predicted_total 40',
      '# TYPE llamacpp:requests_processing gauge',
      'llamacpp:requests_processing 2',
      'x_total{path="a\\"b",le="+Inf"} 5 1700000000',
      'restarted_total 9',
    ].join('\n'),
  );
  const after = parsePrometheusText(
    [
      '# TYPE llamacpp:prompt_tokens_total counter',
      'llamacpp:prompt_tokens_total 160',
      'llamacpp:tokens_predicted_total 90',
      '# TYPE llamacpp:requests_processing gauge',
      'llamacpp:requests_processing 0',
      'x_total{le="+Inf",path="a\\"b"} 7',
      'restarted_total 1',
    ].join('\n'),
  );
  assert.deepEqual(counterDeltas(before, after), {
    'llamacpp:prompt_tokens_total': 60,
    'llamacpp:tokens_predicted_total': 50,
    'x_total{le="+Inf",path="a"b"}': 2,
  });
});
