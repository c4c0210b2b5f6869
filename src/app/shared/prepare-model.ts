import { basename } from 'node:path';
import { KittError } from '../../core/errors.js';
import type { Progress } from '../../core/progress.js';
import { engineDefinition } from '../../engines/catalog.js';
import type { EngineRequest } from '../../engines/engine.js';
import { ensureDefaultModel } from '../../models/default-model.js';
import { validateGguf } from '../../models/validate-gguf.js';

/** The model an engine serves, after the default was synthesized or a given file was checked. */
export interface ModelToServe {
  readonly path: string;
  /** Short name for tables and labels (file name without .gguf, or the synthetic preset). */
  readonly label: string;
  readonly sizeBytes?: number;
}

/**
 * The request's model, ready to serve: the synthetic default when none is named (GGUF engines
 * only), a GGUF file checked, or a model folder left to the engine's launch plan.
 */
export async function prepareModel(request: EngineRequest, home: string, progress: Progress): Promise<ModelToServe> {
  const definition = engineDefinition(request.engine);
  if (request.modelPath === '') {
    if (definition.modelKind === 'directory') {
      throw new KittError('MODEL_NOT_FOUND', `${request.engine} needs a model directory`, {
        hint: 'pass -m /path/to/model (or set MODEL_PATH); the synthetic default is a GGUF file',
      });
    }
    const model = await ensureDefaultModel(home, progress);
    return { path: model.path, label: model.name ?? basename(model.path, '.gguf'), sizeBytes: model.fileBytes };
  }
  if (definition.formats.includes('gguf')) {
    const model = await validateGguf(request.modelPath);
    return { path: model.path, label: basename(model.path, '.gguf'), sizeBytes: model.fileBytes };
  }
  return { path: request.modelPath, label: basename(request.modelPath) };
}
