import { KittError } from '../core/errors.js';

/** The shape of a synthetic llama model; the vocabulary is always the bundled 32000-token one. */
export interface ModelPreset {
  name: ModelPresetName;
  embeddingLength: number;
  blockCount: number;
  headCount: number;
  headCountKv: number;
  feedForwardLength: number;
  contextLength: number;
}

export type ModelPresetName = 'tiny' | 'small';

/**
 * tiny: the default and the test model; 128 tokens take tens of milliseconds on one thread.
 * small: about five times the compute per token, with grouped-query attention, ~39 MB.
 */
export const MODEL_PRESETS: Record<ModelPresetName, ModelPreset> = {
  tiny: {
    name: 'tiny',
    embeddingLength: 64,
    blockCount: 2,
    headCount: 4,
    headCountKv: 4,
    feedForwardLength: 172,
    contextLength: 2048,
  },
  small: {
    name: 'small',
    embeddingLength: 256,
    blockCount: 4,
    headCount: 8,
    headCountKv: 4,
    feedForwardLength: 688,
    contextLength: 4096,
  },
};

export function parseModelPreset(name: string): ModelPreset {
  const preset = MODEL_PRESETS[name as ModelPresetName];
  if (preset === undefined || !Object.hasOwn(MODEL_PRESETS, name)) {
    throw new KittError('USAGE', `unknown model preset "${name}"`, {
      hint: `use one of: ${Object.keys(MODEL_PRESETS).join(', ')}`,
    });
  }
  return preset;
}

/** Seeds are stored as a u32 in the model's metadata. */
export function parseModelSeed(text: string): number {
  const seed = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(seed) || seed > 0xffffffff) {
    throw new KittError('USAGE', `seed "${text}" is not an integer from 0 to 4294967295`, {
      hint: 'pass --seed N with a whole number, e.g. --seed 0',
    });
  }
  return seed;
}
