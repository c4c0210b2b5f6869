import { fileURLToPath } from 'node:url';
import { ensureSyntheticModel } from '../models/default-model.js';
import type { ModelPresetName } from '../models/model-presets.js';

/** Test models are cached in the repository (gitignored), shared by every test process. */
export const TEST_MODELS_DIR = fileURLToPath(new URL('../../.kitt-test/models/', import.meta.url));

/**
 * Path to a synthetic model (seed 0) for tests: synthesized on first use, reused after, safe when
 * several test processes ask at once (each writes a temporary file and renames it into place).
 */
export async function ensureTestModel(preset: ModelPresetName = 'tiny'): Promise<string> {
  const info = await ensureSyntheticModel(TEST_MODELS_DIR, preset, 0);
  return info.path;
}
