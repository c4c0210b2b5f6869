import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KittError } from '../core/errors.js';
import { ensureWritableDir, homePaths } from '../core/kitt-home.js';
import { type Progress, silentProgress } from '../core/progress.js';
import type { ModelPresetName } from './model-presets.js';
import { SYNTH_VERSION, synthesizeModel } from './synthesize-model.js';
import { type GgufModelInfo, validateGguf } from './validate-gguf.js';

export const DEFAULT_MODEL_PRESET: ModelPresetName = 'tiny';
export const DEFAULT_MODEL_SEED = 0;

/** Where a synthetic model of this preset and seed lives in a models folder. */
export function syntheticModelPath(modelsDir: string, preset: ModelPresetName, seed: number): string {
  return join(modelsDir, `kitt-synthetic-${preset}-seed${seed}.gguf`);
}

/**
 * A synthetic model in `modelsDir`: reused when a valid one of the same preset, seed and
 * generator version is there, otherwise synthesized (atomically, so concurrent callers each
 * rename a whole file into place and the last one wins with identical bytes).
 */
export async function ensureSyntheticModel(
  modelsDir: string,
  preset: ModelPresetName,
  seed: number,
  progress: Progress = silentProgress,
): Promise<GgufModelInfo> {
  const path = syntheticModelPath(modelsDir, preset, seed);
  const reused = await reuseSyntheticModel(path, preset, seed, progress);
  if (reused !== undefined) return reused;
  await synthesizeModel({ preset, seed, outPath: path, progress });
  return validateGguf(path);
}

/**
 * The model at `path` when it is a whole synthetic model of this preset and seed made by this
 * kitt's generator; undefined when it is missing, damaged, or anything else (said through progress).
 */
export async function reuseSyntheticModel(
  path: string,
  preset: ModelPresetName,
  seed: number,
  progress: Progress = silentProgress,
): Promise<GgufModelInfo | undefined> {
  if (!existsSync(path)) return undefined;
  try {
    const info = await validateGguf(path);
    if (info.synthetic && info.preset === preset && info.seed === seed && info.synthVersion === SYNTH_VERSION) {
      return info;
    }
    progress.info(`${path} is not kitt-synthetic-${preset} seed ${seed} from this kitt version`);
  } catch (error) {
    if (!(error instanceof KittError)) throw error;
    progress.warn(`cannot reuse ${path}: ${error.message}`);
  }
  return undefined;
}

/** The model `kitt run` uses when no -m is given: tiny, seed 0, under `<kitt home>/models/`. */
export async function ensureDefaultModel(home: string, progress: Progress = silentProgress): Promise<GgufModelInfo> {
  const modelsDir = ensureWritableDir(homePaths(home).models);
  return ensureSyntheticModel(modelsDir, DEFAULT_MODEL_PRESET, DEFAULT_MODEL_SEED, progress);
}
