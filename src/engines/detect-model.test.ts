import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { checkModelFormat, detectModel } from './detect-model.js';

const root = mkdtempSync(join(tmpdir(), 'kitt-detect-'));
after(() => rmSync(root, { recursive: true, force: true }));

function folder(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

test('a file with the GGUF magic is gguf, whatever its name', async () => {
  const path = join(root, 'weights.bin');
  writeFileSync(path, Buffer.concat([Buffer.from('GGUF'), Buffer.alloc(16)]));
  assert.deepEqual(await detectModel(path), { ok: true, model: { format: 'gguf', servePath: path, kind: 'file' } });
});

test('a file without the magic is rejected with a hint', async () => {
  const path = join(root, 'fake.gguf');
  writeFileSync(path, 'not a model');
  const check = await detectModel(path);
  assert.equal(check.ok, false);
  assert.match(!check.ok ? check.message : '', /not a GGUF file/);
});

test('a missing path says so and names -m', async () => {
  const check = await detectModel(join(root, 'nope'));
  assert.deepEqual(check.ok ? undefined : [check.message.endsWith('does not exist'), check.hint], [
    true,
    'check the -m path (or MODEL_PATH)',
  ]);
});

test('a Hugging Face folder with safetensors is safetensors, served as the folder', async () => {
  const dir = folder('hf', { 'config.json': '{}', 'model.safetensors': '' });
  assert.deepEqual(await detectModel(dir), {
    ok: true,
    model: { format: 'safetensors', servePath: dir, kind: 'directory' },
  });
});

test('pytorch_model.bin weights are pytorch', async () => {
  const dir = folder('pt', { 'config.json': '{}', 'pytorch_model.bin': '' });
  const check = await detectModel(dir);
  assert.equal(check.ok && check.model.format, 'pytorch');
});

test('EXL2 is told from plain safetensors by quantization_config', async () => {
  const dir = folder('exl2', {
    'config.json': JSON.stringify({ quantization_config: { quant_method: 'exl2', bits: 4.0 } }),
    'output.safetensors': '',
  });
  const check = await detectModel(dir);
  assert.equal(check.ok && check.model.format, 'exl2');
});

test('GPTQ is recognised by quantize_config.json', async () => {
  const dir = folder('gptq', { 'config.json': '{}', 'quantize_config.json': '{}', 'model.safetensors': '' });
  const check = await detectModel(dir);
  assert.equal(check.ok && check.model.format, 'gptq');
});

test('a folder of GGUF files serves the first by name, skipping projectors', async () => {
  const dir = folder('ggufs', { 'mmproj-a.gguf': 'GGUF', 'b.gguf': 'GGUF', 'c.gguf': 'GGUF' });
  assert.deepEqual(await detectModel(dir), {
    ok: true,
    model: { format: 'gguf', servePath: join(dir, 'b.gguf'), kind: 'file' },
  });
});

test('a format the engine cannot load names the engines that can', async () => {
  const dir = folder('exl2-for-vllm', {
    'config.json': JSON.stringify({ quantization_config: { quant_method: 'exl2' } }),
    'a.safetensors': '',
  });
  const check = await checkModelFormat(dir, 'vllm', ['safetensors', 'pytorch'], (format) =>
    format === 'exl2' ? ['exllamav2'] : [],
  );
  assert.equal(check.ok, false);
  if (!check.ok) {
    assert.match(check.message, /^vllm cannot load exl2 models/);
    assert.equal(check.hint, 'use -e with one of: exllamav2, or a safetensors/pytorch model');
  }
});
