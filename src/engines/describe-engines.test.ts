import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEngines } from './describe-engines.js';

test('the list shows each engine with the images this host would use', () => {
  const rows = describeEngines({ arch: 'amd64' });
  assert.deepEqual(
    rows.map((r) => [r.engine, r.port, r.api, r.formats, r.modes]),
    [
      ['embedded', 'any', 'openai-completions', 'gguf', 'embedded'],
      ['llamacpp', '8081', 'openai-completions', 'gguf', 'docker,native'],
      ['vllm', '8000', 'openai-completions', 'safetensors,pytorch', 'docker,native'],
      ['sglang', '30000', 'openai-completions', 'safetensors,pytorch', 'docker,native'],
      ['tgi', '8080', 'openai-chat', 'safetensors', 'docker,native'],
      ['ollama', '11434', 'ollama-generate', 'gguf', 'docker,native'],
      ['exllamav2', '8000', 'openai-completions', 'exl2,gptq', 'docker'],
    ],
  );
  assert.equal(rows[1]?.image, 'kitt/llama-server:cpu, ghcr.io/ggml-org/llama.cpp:server-cuda-b6550 (gpu)');
  assert.equal(rows[2]?.image, 'vllm/vllm-openai:v0.10.1.1');
  assert.equal(rows[3]?.image, 'lmsysorg/sglang:v0.5.3-cu129');
  assert.equal(rows[4]?.image, 'ghcr.io/huggingface/text-generation-inference:3.3.4');
});

test('config overrides and arm64 gaps show up in the list', () => {
  const rows = describeEngines({ arch: 'arm64' }, { images: { vllm: 'me/vllm:arm' } });
  assert.equal(rows[2]?.image, 'me/vllm:arm');
  assert.equal(rows[6]?.image, 'none for arm64 (set engines.exllamav2.image)');
});
