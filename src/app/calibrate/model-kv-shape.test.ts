import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import {
  estimateMaxContexts,
  kvBytesFor,
  kvBytesPerToken,
  stepDownContexts,
} from '../../calibrate/estimate-contexts.js';
import type { GgufMetadata, GgufValue } from '../../models/gguf-format.js';
import { writeGguf } from '../../models/gguf-writer.js';
import { MODEL_PRESETS } from '../../models/model-presets.js';
import { ensureTestModel } from '../../testing/test-model.js';
import { readKvShape } from './model-kv-shape.js';

const MIB = 1024 ** 2;

test("the synthetic tiny model's KV cache is layers × KV heads × (key + value width) × 2 bytes a token", async () => {
  const read = await readKvShape(await ensureTestModel('tiny'));
  assert.ok('shape' in read, JSON.stringify(read));
  const tiny = MODEL_PRESETS.tiny;
  const headWidth = tiny.embeddingLength / tiny.headCount;
  assert.deepEqual(read.shape, {
    layers: tiny.blockCount,
    kvHeads: tiny.headCountKv,
    keyLength: headWidth,
    valueLength: headWidth,
    trainedContext: tiny.contextLength,
  });
  // 2 layers × 4 heads × (16 + 16) × 2 bytes
  assert.equal(kvBytesPerToken(read.shape), 512);
  assert.equal(kvBytesFor(read.shape, 1, 2048), MIB);
  // 3 contexts of 100 tokens take 300 cells, allocated as 512
  assert.equal(kvBytesFor(read.shape, 3, 100), 512 * 512);
});

test('grouped-query attention counts the KV heads, and explicit key/value widths win over embedding / heads', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-kv-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const u32 = (value: number) => ({ type: 'u32', value }) as const;
  const metadata: GgufMetadata = new Map<string, GgufValue>([
    ['general.architecture', { type: 'string', value: 'qwen2' }],
    ['qwen2.block_count', u32(28)],
    ['qwen2.embedding_length', u32(1536)],
    ['qwen2.attention.head_count', u32(12)],
    ['qwen2.attention.head_count_kv', u32(2)],
    ['qwen2.attention.key_length', u32(128)],
    ['qwen2.attention.value_length', u32(128)],
    ['qwen2.context_length', u32(32768)],
  ]);
  const path = join(dir, 'gqa.gguf');
  await writeGguf(path, { metadata, tensors: [] });
  const read = await readKvShape(path);
  assert.ok('shape' in read);
  // Qwen2.5-1.5B: 28 × 2 × 256 × 2 = 28 KiB a token, 112 MiB for 4096 tokens
  assert.equal(kvBytesPerToken(read.shape), 28 * 1024);
  assert.equal(kvBytesFor(read.shape, 1, 4096), 112 * MIB);

  metadata.delete('qwen2.block_count');
  await writeGguf(path, { metadata, tensors: [] });
  assert.deepEqual(await readKvShape(path), { missing: 'qwen2.block_count' });
});

test('the estimate is the largest count under the limit less its margin, and the ceiling caps it', () => {
  const shape = { layers: 2, kvHeads: 4, keyLength: 16, valueLength: 16, trainedContext: 2048 };
  const budget = { limitBytes: 64 * MIB, baselineBytes: 40 * MIB, contextTokens: 512, margin: 0.1, ceiling: 256 };
  const estimate = estimateMaxContexts(shape, budget);
  // 64 MiB × 0.9 − 40 MiB = 17.6 MiB; a context of 512 tokens is 256 KiB: 70 fit, 71 do not
  assert.equal(estimate.kvBytesPerContext, 256 * 1024);
  assert.equal(estimate.contexts, 70);
  assert.ok(estimate.totalBytes <= 64 * MIB * 0.9);
  assert.ok(kvBytesFor(shape, 71, 512) > estimate.budgetBytes);
  assert.equal(estimate.capped, false);
  const capped = estimateMaxContexts(shape, { ...budget, ceiling: 16 });
  assert.deepEqual([capped.contexts, capped.capped], [16, true]);
  assert.equal(estimateMaxContexts(shape, { ...budget, baselineBytes: 60 * MIB }).contexts, 0);
  assert.deepEqual([70, 4, 2, 1].map(stepDownContexts), [52, 3, 1, 0]);
});
