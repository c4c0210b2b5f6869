/**
 * The GGUF v3 container as llama.cpp defines it (ggml/include/gguf.h): little-endian throughout,
 *
 *   "GGUF" | version u32 | tensor_count u64 | kv_count u64
 *   kv_count × (key string | value_type u32 | value)
 *   tensor_count × (name string | n_dims u32 | ne[n_dims] u64 | ggml_type u32 | offset u64)
 *   padding to `general.alignment` (32 unless set)
 *   tensor data, each tensor at its offset from the start of the data section (aligned)
 *
 * where a string is `length u64 | UTF-8 bytes` and an array is `item_type u32 | count u64 | items`.
 */

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** Value types by their numeric code in the file (gguf.h `enum gguf_type`). */
export const GGUF_VALUE_TYPES = [
  'u8',
  'i8',
  'u16',
  'i16',
  'u32',
  'i32',
  'f32',
  'bool',
  'string',
  'array',
  'u64',
  'i64',
  'f64',
] as const;

export type GgufValueType = (typeof GGUF_VALUE_TYPES)[number];
export type GgufNumberType = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'f64';
export type GgufBigIntType = 'u64' | 'i64';

/** One metadata value with the type it has (or will have) on disk, so files round-trip exactly. */
export type GgufValue =
  | { type: GgufNumberType; value: number }
  | { type: GgufBigIntType; value: bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | GgufArray;

export type GgufArray =
  | { type: 'array'; itemType: GgufNumberType; value: number[] }
  | { type: 'array'; itemType: GgufBigIntType; value: bigint[] }
  | { type: 'array'; itemType: 'bool'; value: boolean[] }
  | { type: 'array'; itemType: 'string'; value: string[] }
  | { type: 'array'; itemType: 'array'; value: GgufArray[] };

/** Keys in file order; a Map keeps that order and rejects nothing. */
export type GgufMetadata = Map<string, GgufValue>;

export interface GgufTensorInfo {
  name: string;
  /** ggml order: dims[0] is the contiguous (row) dimension. */
  dims: number[];
  /** ggml_type code (0 F32, 1 F16, 8 Q8_0, ...). */
  type: number;
  /** Byte offset from the start of the data section. */
  offset: number;
}

/** ggml_type codes kitt writes itself. */
export const GGML_TYPE = { F32: 0, F16: 1 } as const;

/**
 * Block size (elements) and bytes per block of every ggml type llama.cpp knows
 * (gguf-py/gguf/constants.py GGML_QUANT_SIZES, QK_K = 256); used to check a file holds its tensors.
 */
const QK_K = 256;
export const GGML_TYPE_SIZES: Record<number, { name: string; blockSize: number; blockBytes: number }> = {
  0: { name: 'F32', blockSize: 1, blockBytes: 4 },
  1: { name: 'F16', blockSize: 1, blockBytes: 2 },
  2: { name: 'Q4_0', blockSize: 32, blockBytes: 2 + 16 },
  3: { name: 'Q4_1', blockSize: 32, blockBytes: 2 + 2 + 16 },
  6: { name: 'Q5_0', blockSize: 32, blockBytes: 2 + 4 + 16 },
  7: { name: 'Q5_1', blockSize: 32, blockBytes: 2 + 2 + 4 + 16 },
  8: { name: 'Q8_0', blockSize: 32, blockBytes: 2 + 32 },
  9: { name: 'Q8_1', blockSize: 32, blockBytes: 2 + 2 + 32 },
  10: { name: 'Q2_K', blockSize: QK_K, blockBytes: 2 + 2 + QK_K / 16 + QK_K / 4 },
  11: { name: 'Q3_K', blockSize: QK_K, blockBytes: 2 + QK_K / 4 + QK_K / 8 + 12 },
  12: { name: 'Q4_K', blockSize: QK_K, blockBytes: 2 + 2 + QK_K / 2 + 12 },
  13: { name: 'Q5_K', blockSize: QK_K, blockBytes: 2 + 2 + QK_K / 2 + QK_K / 8 + 12 },
  14: { name: 'Q6_K', blockSize: QK_K, blockBytes: 2 + QK_K / 2 + QK_K / 4 + QK_K / 16 },
  15: { name: 'Q8_K', blockSize: QK_K, blockBytes: 4 + QK_K + QK_K / 8 },
  16: { name: 'IQ2_XXS', blockSize: QK_K, blockBytes: 2 + QK_K / 4 },
  17: { name: 'IQ2_XS', blockSize: QK_K, blockBytes: 2 + QK_K / 4 + QK_K / 32 },
  18: { name: 'IQ3_XXS', blockSize: QK_K, blockBytes: 2 + QK_K / 4 + QK_K / 8 },
  19: { name: 'IQ1_S', blockSize: QK_K, blockBytes: 2 + QK_K / 8 + QK_K / 16 },
  20: { name: 'IQ4_NL', blockSize: 32, blockBytes: 2 + 16 },
  21: { name: 'IQ3_S', blockSize: QK_K, blockBytes: 2 + QK_K / 4 + QK_K / 8 + QK_K / 32 + 4 },
  22: { name: 'IQ2_S', blockSize: QK_K, blockBytes: 2 + QK_K / 4 + QK_K / 16 },
  23: { name: 'IQ4_XS', blockSize: QK_K, blockBytes: 2 + 2 + QK_K / 2 + QK_K / 64 },
  24: { name: 'I8', blockSize: 1, blockBytes: 1 },
  25: { name: 'I16', blockSize: 1, blockBytes: 2 },
  26: { name: 'I32', blockSize: 1, blockBytes: 4 },
  27: { name: 'I64', blockSize: 1, blockBytes: 8 },
  28: { name: 'F64', blockSize: 1, blockBytes: 8 },
  29: { name: 'IQ1_M', blockSize: QK_K, blockBytes: QK_K / 8 + QK_K / 16 + QK_K / 32 },
  30: { name: 'BF16', blockSize: 1, blockBytes: 2 },
  34: { name: 'TQ1_0', blockSize: QK_K, blockBytes: 2 + 4 * 13 },
  35: { name: 'TQ2_0', blockSize: QK_K, blockBytes: 2 + 64 },
  39: { name: 'MXFP4', blockSize: 32, blockBytes: 1 + 16 },
};

/** Bytes a tensor occupies in the data section, or undefined for a ggml type this table lacks. */
export function tensorByteSize(tensor: Pick<GgufTensorInfo, 'dims' | 'type'>): number | undefined {
  const size = GGML_TYPE_SIZES[tensor.type];
  if (size === undefined) return undefined;
  const elements = tensor.dims.reduce((product, dim) => product * dim, 1);
  return (elements / size.blockSize) * size.blockBytes;
}

export function alignUp(offset: number, alignment: number): number {
  return Math.ceil(offset / alignment) * alignment;
}

/** Plain JS value of a metadata entry (bigints stay bigints), for summaries and JSON. */
export function plainValue(value: GgufValue): unknown {
  if (value.type !== 'array') return value.value;
  if (value.itemType === 'array') return value.value.map(plainValue);
  return value.value;
}

/** A short printable form: scalars as they are, long strings cut, arrays as `[N × type]` plus a peek. */
export function summarizeValue(value: GgufValue, maxLength = 80): string {
  if (value.type === 'array') {
    const peek = value.itemType === 'array' ? '' : ` ${JSON.stringify(value.value.slice(0, 3), bigintReplacer)}…`;
    return `[${value.value.length} × ${value.itemType}]${value.value.length > 3 ? peek : ''}`.trimEnd();
  }
  // float32 holds about 7 significant digits; print no more than it has (1e-5, not 0.0000099999997)
  const shown = value.type === 'f32' ? Number(value.value.toPrecision(7)) : value.value;
  const text = typeof shown === 'string' ? JSON.stringify(shown) : String(shown);
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

/** JSON.stringify replacer that writes bigints as numbers when exact, else as strings. */
export function bigintReplacer(_key: string, value: unknown): unknown {
  if (typeof value !== 'bigint') return value;
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= -BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : String(value);
}
