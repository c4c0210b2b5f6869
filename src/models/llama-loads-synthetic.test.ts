import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { getLlama, type Llama, LlamaLogLevel, type LlamaModel, type Token } from 'node-llama-cpp';
import { ensureTestModel } from '../testing/test-model.js';
import { readGgufMetadata } from './gguf-reader.js';
import { llamaSpmVocabPath } from './vocab-asset.js';

// llama.cpp is the judge of whether the synthetic model is a model: these tests load it with the
// same prebuilt llama.cpp the embedded engine uses, on the CPU, one thread.
let llama: Llama;
let model: LlamaModel;
before(async () => {
  llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  model = await llama.loadModel({ modelPath: await ensureTestModel('tiny') });
});
after(async () => {
  await model?.dispose();
  await llama?.dispose();
});

test("the tokenizer gives llama.cpp's reference ids (models/ggml-vocab-llama-spm.gguf.out)", () => {
  // cases and ids transcribed from llama.cpp's tokenizer test files for this vocabulary
  const reference: Array<[string, number[]]> = [
    ['Hello world', [15043, 3186]],
    [' Hello world', [29871, 15043, 3186]],
    ['Hello, world!', [15043, 29892, 3186, 29991]],
    [' this is 🦙.cpp', [29871, 445, 338, 29871, 243, 162, 169, 156, 29889, 8223]],
  ];
  for (const [text, ids] of reference) assert.deepEqual([...model.tokenize(text)], ids, JSON.stringify(text));
  assert.equal(model.detokenize(model.tokenize('Hello world')), 'Hello world');
});

test('llama.cpp generates 128 varied ordinary tokens on one thread, quickly', async () => {
  const vocab = await readGgufMetadata(llamaSpmVocabPath());
  const tokenTypes = vocab.metadata.get('tokenizer.ggml.token_type')?.value as number[];
  const context = await model.createContext({ contextSize: 512, threads: 1 });
  try {
    const sequence = context.getSequence();
    const generated: Token[] = [];
    const startedAt = performance.now();
    for await (const token of sequence.evaluate(model.tokenize('Once upon a time', true), {
      temperature: 0.8,
      seed: 1,
    })) {
      generated.push(token);
      if (generated.length === 128) break;
    }
    const elapsedMs = performance.now() - startedAt;
    assert.equal(generated.length, 128);
    assert.ok(new Set(generated).size > 32, `only ${new Set(generated).size} distinct tokens`);
    // control, unknown and byte tokens have zero output rows, so none is ever sampled (no early EOS)
    const unusual = generated.filter((token) => tokenTypes[token] !== 1);
    assert.deepEqual(unusual, []);
    assert.ok(model.detokenize(generated).length > 128);
    // measured about 0.25 s on a busy 2-core machine; the bound only catches a model gone slow
    assert.ok(elapsedMs < 5000, `128 tokens took ${elapsedMs.toFixed(0)} ms`);
  } finally {
    await context.dispose();
  }
});
