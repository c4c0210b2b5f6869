import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Progress, silentProgress } from '../core/progress.js';
import { GGML_TYPE, type GgufMetadata, type GgufValue } from './gguf-format.js';
import { readGgufMetadata } from './gguf-reader.js';
import { type GgufTensorSource, writeGguf } from './gguf-writer.js';
import { MODEL_PRESETS, type ModelPreset, type ModelPresetName } from './model-presets.js';
import { constantF32Chunks, seededTensorChunks, type WeightFill } from './seeded-weights.js';
import { llamaSpmVocabPath } from './vocab-asset.js';

export interface SynthesizeModelOptions {
  preset: ModelPresetName;
  /** 0 to 2^32 − 1; the same seed gives a byte-identical file. */
  seed: number;
  outPath: string;
  progress?: Progress;
}

export interface SynthesizedModel {
  path: string;
  preset: ModelPresetName;
  seed: number;
  fileBytes: number;
}

/**
 * Bumped whenever the weights or metadata this module writes change, so cached synthetic models
 * made by an older kitt are recognised as stale and made again.
 */
export const SYNTH_VERSION = 1;

/** SentencePiece token types (llama.cpp `llama_token_type`): only NORMAL tokens are ever sampled. */
const TOKEN_TYPE_NORMAL = 1;

/**
 * Writes a llama-architecture GGUF with seeded random weights and llama.cpp's real 32000-token
 * SentencePiece vocabulary. It is written to a temporary file beside `outPath` and renamed into
 * place, so a reader never sees half a model and two writers never interleave.
 *
 * The weights keep every activation near unit scale (each projection has std 1/√fan_in, norms are
 * 1), and the output rows of control, unknown and byte tokens are zero: with logits of std ≈ 3
 * those tokens are practically never sampled, so text decodes cleanly and generation runs to
 * max_tokens instead of stopping at a random end-of-sequence.
 */
export async function synthesizeModel(options: SynthesizeModelOptions): Promise<SynthesizedModel> {
  const progress = options.progress ?? silentProgress;
  const preset = MODEL_PRESETS[options.preset];
  const vocab = await readGgufMetadata(llamaSpmVocabPath());
  const tokenizer = new Map([...vocab.metadata].filter(([key]) => key.startsWith('tokenizer.')));
  const tokens = tokenizer.get('tokenizer.ggml.tokens');
  const types = tokenizer.get('tokenizer.ggml.token_type');
  if (tokens?.type !== 'array' || types?.type !== 'array') throw new Error('the bundled vocabulary has no tokens');
  const vocabSize = tokens.value.length;
  const neverSampled = new Set<number>();
  (types.value as number[]).forEach((type, id) => {
    if (type !== TOKEN_TYPE_NORMAL) neverSampled.add(id);
  });

  const metadata = describeModel(preset, options.seed, vocabSize, tokenizer);
  const tensors = planTensors(preset, options.seed, vocabSize, neverSampled);
  await mkdir(dirname(options.outPath), { recursive: true });
  const temporary = `${options.outPath}.${process.pid}.${randomBytes(4).toString('hex')}.partial`;
  progress.phase(`synthesizing ${preset.name} model (seed ${options.seed})`, tensors.length);
  try {
    await writeGguf(temporary, { metadata, tensors }, (index) => progress.update(index + 1, tensors[index]!.name));
    await rename(temporary, options.outPath);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  const fileBytes = (await stat(options.outPath)).size;
  progress.end(`${options.outPath} (${(fileBytes / 1e6).toFixed(1)} MB)`);
  return { path: options.outPath, preset: preset.name, seed: options.seed, fileBytes };
}

function describeModel(
  preset: ModelPreset,
  seed: number,
  vocabSize: number,
  tokenizer: Map<string, GgufValue>,
): GgufMetadata {
  const u32 = (value: number): GgufValue => ({ type: 'u32', value });
  const f32 = (value: number): GgufValue => ({ type: 'f32', value });
  const text = (value: string): GgufValue => ({ type: 'string', value });
  const headDim = preset.embeddingLength / preset.headCount;
  return new Map<string, GgufValue>([
    ['general.architecture', text('llama')],
    ['general.type', text('model')],
    ['general.name', text(`kitt-synthetic-${preset.name}`)],
    [
      'general.description',
      text(
        `Synthetic model made by kitt for testing and benchmarking: random weights (seed ${seed}), ` +
          "llama.cpp's LLaMA SentencePiece tokenizer. Its output is meaningless text.",
      ),
    ],
    ['general.file_type', u32(1)], // LLAMA_FTYPE_MOSTLY_F16
    ['llama.vocab_size', u32(vocabSize)],
    ['llama.context_length', u32(preset.contextLength)],
    ['llama.embedding_length', u32(preset.embeddingLength)],
    ['llama.block_count', u32(preset.blockCount)],
    ['llama.feed_forward_length', u32(preset.feedForwardLength)],
    ['llama.rope.dimension_count', u32(headDim)],
    ['llama.rope.freq_base', f32(10000)],
    ['llama.attention.head_count', u32(preset.headCount)],
    ['llama.attention.head_count_kv', u32(preset.headCountKv)],
    ['llama.attention.layer_norm_rms_epsilon', f32(1e-5)],
    ['kitt.synthetic', { type: 'bool', value: true }],
    ['kitt.seed', u32(seed)],
    ['kitt.preset', text(preset.name)],
    ['kitt.synth_version', u32(SYNTH_VERSION)],
    ...tokenizer,
  ]);
}

/** Tensors in llama.cpp's names and ggml shapes ([contiguous, rows]); matrices f16, norms f32. */
function planTensors(
  preset: ModelPreset,
  seed: number,
  vocabSize: number,
  neverSampled: ReadonlySet<number>,
): GgufTensorSource[] {
  const embd = preset.embeddingLength;
  const kvDim = (embd / preset.headCount) * preset.headCountKv;
  const ff = preset.feedForwardLength;
  const matrix = (name: string, rowLength: number, rows: number, fill: WeightFill): GgufTensorSource => ({
    name,
    dims: [rowLength, rows],
    type: GGML_TYPE.F16,
    chunks: () => seededTensorChunks(seed, name, { rowLength, rows, type: GGML_TYPE.F16 }, fill),
  });
  const norm = (name: string): GgufTensorSource => ({
    name,
    dims: [embd],
    type: GGML_TYPE.F32,
    chunks: () => constantF32Chunks(embd, 1),
  });
  // std 1/√fan_in keeps each projection's output at the scale of its (normalized) input
  const fanIn = (n: number): WeightFill => ({ std: 1 / Math.sqrt(n) });
  const tensors = [matrix('token_embd.weight', embd, vocabSize, { std: 1 })];
  for (let block = 0; block < preset.blockCount; block += 1) {
    const at = (part: string) => `blk.${block}.${part}.weight`;
    tensors.push(
      norm(at('attn_norm')),
      matrix(at('attn_q'), embd, embd, fanIn(embd)),
      matrix(at('attn_k'), embd, kvDim, fanIn(embd)),
      matrix(at('attn_v'), embd, kvDim, fanIn(embd)),
      matrix(at('attn_output'), embd, embd, fanIn(embd)),
      norm(at('ffn_norm')),
      matrix(at('ffn_gate'), embd, ff, fanIn(embd)),
      matrix(at('ffn_up'), embd, ff, fanIn(embd)),
      matrix(at('ffn_down'), ff, embd, fanIn(ff)),
    );
  }
  tensors.push(
    norm('output_norm.weight'),
    // logits = W·h with |h| ≈ √embd, so std 3/√embd gives logits of std ≈ 3: varied, never flat
    matrix('output.weight', embd, vocabSize, { std: 3 / Math.sqrt(embd), zeroRows: neverSampled }),
  );
  return tensors;
}
