import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { RecordingProgress } from '../testing/recording-progress.js';
import { ensureDefaultModel, ensureSyntheticModel, syntheticModelPath } from './default-model.js';
import { readGgufMetadata } from './gguf-reader.js';
import { synthesizeModel } from './synthesize-model.js';
import { validateGguf } from './validate-gguf.js';
import { llamaSpmVocabPath } from './vocab-asset.js';

const dir = mkdtempSync(join(tmpdir(), 'kitt-synth-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

test('the same seed gives byte-identical models and another seed different weights', async () => {
  const a = await synthesizeModel({ preset: 'tiny', seed: 7, outPath: join(dir, 'a.gguf') });
  const b = await synthesizeModel({ preset: 'tiny', seed: 7, outPath: join(dir, 'b.gguf') });
  const c = await synthesizeModel({ preset: 'tiny', seed: 8, outPath: join(dir, 'c.gguf') });
  assert.equal(sha256(a.path), sha256(b.path));
  assert.notEqual(sha256(a.path), sha256(c.path));
  assert.equal(a.fileBytes, c.fileBytes);
  assert.ok(a.fileBytes < 12e6, `tiny is ${a.fileBytes} bytes`);
});

test('a synthetic model says it is synthetic and carries the real tokenizer unchanged', async () => {
  const progress = new RecordingProgress();
  const model = await synthesizeModel({ preset: 'tiny', seed: 3, outPath: join(dir, 'm', 'tiny.gguf'), progress });
  const header = await readGgufMetadata(model.path);
  const value = (key: string) => header.metadata.get(key)?.value;
  assert.equal(value('general.architecture'), 'llama');
  assert.equal(value('general.name'), 'kitt-synthetic-tiny');
  assert.match(String(value('general.description')), /random weights \(seed 3\)/);
  assert.equal(value('kitt.synthetic'), true);
  assert.equal(value('kitt.seed'), 3);
  const vocab = await readGgufMetadata(llamaSpmVocabPath());
  const tokenizerKeys = [...vocab.metadata.keys()].filter((key) => key.startsWith('tokenizer.'));
  assert.ok(tokenizerKeys.length >= 8);
  for (const key of tokenizerKeys) assert.deepEqual(header.metadata.get(key), vocab.metadata.get(key), key);
  assert.deepEqual(header.tensors.map((tensor) => tensor.name).slice(0, 3), [
    'token_embd.weight',
    'blk.0.attn_norm.weight',
    'blk.0.attn_q.weight',
  ]);
  assert.deepEqual(header.tensors.find((tensor) => tensor.name === 'output.weight')?.dims, [64, 32000]);
  assert.equal(progress.events[0], 'phase synthesizing tiny model (seed 3) /21');
  assert.match(progress.events.at(-1) ?? '', /^end .*tiny\.gguf/);
  assert.deepEqual(readdirSync(join(dir, 'm')), ['tiny.gguf'], 'no temporary file is left behind');

  const info = await validateGguf(model.path);
  assert.equal(info.synthetic, true);
  assert.equal(info.contextLength, 2048);
  assert.equal(info.vocabSize, 32000);
  assert.equal(info.fileBytes, model.fileBytes);
});

test('the small preset stays under 60 MB', async () => {
  const model = await synthesizeModel({ preset: 'small', seed: 0, outPath: join(dir, 'small.gguf') });
  const info = await validateGguf(model.path);
  assert.ok(model.fileBytes < 60e6, `small is ${model.fileBytes} bytes`);
  assert.equal(info.embeddingLength, 256);
  rmSync(model.path);
});

test('the default model is made once under the kitt home, reused, and remade when damaged', async () => {
  const home = join(dir, 'home');
  const first = await ensureDefaultModel(home);
  assert.equal(first.path, syntheticModelPath(join(home, 'models'), 'tiny', 0));
  assert.equal(first.name, 'kitt-synthetic-tiny');
  const madeAt = statSync(first.path).mtimeMs;

  const progress = new RecordingProgress();
  const second = await ensureDefaultModel(home, progress);
  assert.equal(statSync(second.path).mtimeMs, madeAt);
  assert.deepEqual(progress.events, []);

  writeFileSync(first.path, readFileSync(first.path).subarray(0, 4096));
  const repaired = await ensureDefaultModel(home, progress);
  assert.equal(repaired.fileBytes, first.fileBytes);
  assert.match(progress.events[0] ?? '', /^warn cannot reuse .*truncated/);
});

test('two callers making the same model at once both get a whole file', async () => {
  const modelsDir = join(dir, 'race');
  const [a, b] = await Promise.all([
    ensureSyntheticModel(modelsDir, 'tiny', 5),
    ensureSyntheticModel(modelsDir, 'tiny', 5),
  ]);
  assert.equal(a.path, b.path);
  assert.equal((await validateGguf(a.path)).seed, 5);
  assert.deepEqual(readdirSync(modelsDir), ['kitt-synthetic-tiny-seed5.gguf']);
});
