import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KittError } from '../core/errors.js';

/**
 * llama.cpp's LLaMA SentencePiece vocabulary (32000 tokens) as a tokenizer-only GGUF, shipped in
 * assets/vocab/. The path is resolved from this module, two levels below the package root both
 * as src/models/*.ts (tsx) and as dist/models/*.js (built).
 */
export function llamaSpmVocabPath(): string {
  const path = fileURLToPath(new URL('../../assets/vocab/ggml-vocab-llama-spm.gguf', import.meta.url));
  if (!existsSync(path)) {
    throw new KittError('MODEL_NOT_FOUND', `the bundled vocabulary ${path} is missing`, {
      hint: 'reinstall kitt: its package must include assets/vocab/',
    });
  }
  return path;
}
