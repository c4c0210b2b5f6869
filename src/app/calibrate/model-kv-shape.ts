import type { KvShape } from '../../calibrate/estimate-contexts.js';
import { type GgufMetadata, plainValue } from '../../models/gguf-format.js';
import { readGgufMetadata } from '../../models/gguf-reader.js';

/**
 * The KV-cache shape of a GGUF model from its metadata: `<arch>.block_count`,
 * `<arch>.attention.head_count_kv` (else head_count: no grouped-query attention), and the key and
 * value widths (`attention.key_length` / `value_length`, else embedding_length / head_count).
 * When the file says too little, the keys it lacks.
 */
export async function readKvShape(modelPath: string): Promise<{ shape: KvShape } | { missing: string }> {
  const { metadata } = await readGgufMetadata(modelPath);
  const architecture = metadata.get('general.architecture');
  if (architecture?.type !== 'string') return { missing: 'general.architecture' };
  const arch = architecture.value;
  const at = (key: string) => numberOf(metadata, `${arch}.${key}`);
  const layers = at('block_count');
  const heads = at('attention.head_count');
  const kvHeads = at('attention.head_count_kv') ?? heads;
  const embedding = at('embedding_length');
  const headWidth = heads && embedding ? embedding / heads : undefined;
  const keyLength = at('attention.key_length') ?? headWidth;
  const valueLength = at('attention.value_length') ?? headWidth;
  const missing = Object.entries({ block_count: layers, head_count_kv: kvHeads, key_length: keyLength })
    .filter(([, value]) => !(value && value > 0))
    .map(([key]) => `${arch}.${key}`);
  if (missing.length > 0 || !valueLength) return { missing: missing.join(', ') || `${arch}.value_length` };
  return {
    shape: {
      layers: layers!,
      kvHeads: kvHeads!,
      keyLength: keyLength!,
      valueLength,
      trainedContext: at('context_length'),
    },
  };
}

function numberOf(metadata: GgufMetadata, key: string): number | undefined {
  const value = metadata.get(key);
  // head_count_kv may be an array (one per layer); the largest bounds the cache
  if (value?.type === 'array') {
    const numbers = (value.value as unknown[]).map(Number).filter(Number.isFinite);
    return numbers.length > 0 ? Math.max(...numbers) : undefined;
  }
  const plain = value === undefined ? undefined : plainValue(value);
  return typeof plain === 'number' ? plain : typeof plain === 'bigint' ? Number(plain) : undefined;
}
