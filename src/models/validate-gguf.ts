import { type GgufMetadata, plainValue, tensorByteSize } from './gguf-format.js';
import { type GgufHeader, notGguf, readGgufMetadata } from './gguf-reader.js';

/** What kitt needs to know about a model before handing it to an engine. */
export interface GgufModelInfo {
  path: string;
  fileBytes: number;
  ggufVersion: number;
  architecture: string;
  name: string | undefined;
  /** True for models made by `kitt model synth` (random weights). */
  synthetic: boolean;
  /** The seed and preset of a synthetic model. */
  seed: number | undefined;
  preset: string | undefined;
  synthVersion: number | undefined;
  contextLength: number | undefined;
  embeddingLength: number | undefined;
  blockCount: number | undefined;
  vocabSize: number | undefined;
  tensorCount: number;
  /** general.file_type (llama_ftype), e.g. 1 for mostly F16. */
  fileType: number | undefined;
}

/**
 * Proves `path` is a whole GGUF model: the file exists, its header parses, it names an
 * architecture, and every tensor lies inside the file (a truncated download fails here, not in the
 * engine). Throws KittError MODEL_NOT_FOUND or MODEL_NOT_GGUF with the fix.
 */
export async function validateGguf(path: string): Promise<GgufModelInfo> {
  const header = await readGgufMetadata(path);
  const architecture = stringOf(header.metadata, 'general.architecture');
  if (architecture === undefined) throw notGguf(path, 'it has no general.architecture');
  checkTensorsFit(path, header);
  const numberAt = (key: string) => numberOf(header.metadata, key);
  const tokens = header.metadata.get('tokenizer.ggml.tokens');
  return {
    path,
    fileBytes: header.fileBytes,
    ggufVersion: header.version,
    architecture,
    name: stringOf(header.metadata, 'general.name'),
    synthetic: header.metadata.get('kitt.synthetic')?.value === true,
    seed: numberAt('kitt.seed'),
    preset: stringOf(header.metadata, 'kitt.preset'),
    synthVersion: numberAt('kitt.synth_version'),
    contextLength: numberAt(`${architecture}.context_length`),
    embeddingLength: numberAt(`${architecture}.embedding_length`),
    blockCount: numberAt(`${architecture}.block_count`),
    vocabSize: numberAt(`${architecture}.vocab_size`) ?? (tokens?.type === 'array' ? tokens.value.length : undefined),
    tensorCount: header.tensors.length,
    fileType: numberAt('general.file_type'),
  };
}

function checkTensorsFit(path: string, header: GgufHeader): void {
  if (header.tensors.length > 0 && header.dataOffset > header.fileBytes) {
    throw notGguf(path, 'the file ends before its tensor data (truncated)');
  }
  for (const tensor of header.tensors) {
    const size = tensorByteSize(tensor);
    if (size === undefined) continue; // a ggml type newer than kitt's table: llama.cpp will judge it
    const end = header.dataOffset + tensor.offset + size;
    if (end > header.fileBytes) {
      throw notGguf(
        path,
        `tensor ${tensor.name} ends at byte ${end} but the file has ${header.fileBytes} (truncated download?)`,
      );
    }
  }
}

function stringOf(metadata: GgufMetadata, key: string): string | undefined {
  const value = metadata.get(key);
  return value?.type === 'string' ? value.value : undefined;
}

function numberOf(metadata: GgufMetadata, key: string): number | undefined {
  const value = metadata.get(key);
  if (value === undefined || value.type === 'array') return undefined;
  const plain = plainValue(value);
  if (typeof plain === 'number') return plain;
  if (typeof plain === 'bigint') return Number(plain);
  return undefined;
}
