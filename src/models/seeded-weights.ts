import { endianness } from 'node:os';

/**
 * Deterministic random weights: one xoshiro128** stream per tensor, seeded from the model seed and
 * the tensor's name, so each tensor can be produced on its own, in chunks, and the same seed gives
 * the same bytes on every machine (integer arithmetic only; no Math.random, no transcendental
 * functions whose last bit could differ between platforms).
 */

/** splitmix32 (Steele, Lea, Flood 2014, 32-bit variant): spreads one seed word over the state. */
function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [next, (z ^ (z >>> 16)) >>> 0];
}

/** FNV-1a over the UTF-16 code units of a name: a stable 32-bit stream id per tensor. */
function hashName(name: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < name.length; index += 1) {
    hash = Math.imul(hash ^ name.charCodeAt(index), 0x01000193);
  }
  return hash >>> 0;
}

/** xoshiro128** 1.1 (Blackman and Vigna): 32-bit outputs, period 2^128 − 1. */
export class Xoshiro128 {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(seed: number, stream: string) {
    let state = (seed ^ hashName(stream)) | 0;
    const words: number[] = [];
    for (let index = 0; index < 4; index += 1) {
      const [next, word] = splitmix32(state);
      state = next;
      words.push(word);
    }
    [this.s0, this.s1, this.s2, this.s3] = words as [number, number, number, number];
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform on [-1, 1) with 24 bits of resolution (exact in float32). */
  nextSigned(): number {
    return (this.nextUint32() >>> 8) / 8388608 - 1;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 bits of a float, rounded to nearest even (as numpy and ggml do). */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - halfExponent;
    const halfway = 1 << (shift - 1);
    const remainder = mantissa & ((1 << shift) - 1);
    let half = mantissa >>> shift;
    if (remainder > halfway || (remainder === halfway && (half & 1) === 1)) half += 1;
    return sign | half;
  }
  let half = (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  if (remainder > 0x1000 || (remainder === 0x1000 && (half & 1) === 1)) half += 1; // may carry into the exponent, as it should
  return sign | half;
}

/** How a tensor's values are drawn. */
export interface WeightFill {
  /** Standard deviation of the uniform draw (its half-width is std·√3). */
  std: number;
  /** Rows (of dims[0] values each) set to zero after drawing; the stream still advances. */
  zeroRows?: ReadonlySet<number>;
}

const CHUNK_VALUES = 1 << 16;
const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * The bytes of an f16 (type 1) or f32 (type 0) tensor of `rows` rows of `rowLength` values,
 * yielded in chunks of about 128 KiB.
 */
export function* seededTensorChunks(
  seed: number,
  name: string,
  shape: { rowLength: number; rows: number; type: 0 | 1 },
  fill: WeightFill,
): Generator<Uint8Array> {
  const random = new Xoshiro128(seed, name);
  const halfWidth = fill.std * Math.sqrt(3);
  const bytesPerValue = shape.type === 1 ? 2 : 4;
  const rowsPerChunk = Math.max(1, Math.floor(CHUNK_VALUES / shape.rowLength));
  for (let firstRow = 0; firstRow < shape.rows; firstRow += rowsPerChunk) {
    const rowCount = Math.min(rowsPerChunk, shape.rows - firstRow);
    const chunk = Buffer.alloc(rowCount * shape.rowLength * bytesPerValue);
    // typed-array views write in the platform's byte order; GGUF is little-endian
    const values = LITTLE_ENDIAN
      ? bytesPerValue === 2
        ? new Uint16Array(chunk.buffer, chunk.byteOffset, chunk.length / 2)
        : new Float32Array(chunk.buffer, chunk.byteOffset, chunk.length / 4)
      : undefined;
    let index = 0;
    for (let row = firstRow; row < firstRow + rowCount; row += 1) {
      const zero = fill.zeroRows?.has(row) ?? false;
      for (let column = 0; column < shape.rowLength; column += 1) {
        const drawn = random.nextSigned();
        const value = zero ? 0 : drawn * halfWidth;
        const stored = bytesPerValue === 2 ? toFloat16Bits(value) : value;
        if (values !== undefined) values[index] = stored;
        else if (bytesPerValue === 2) chunk.writeUInt16LE(stored, index * 2);
        else chunk.writeFloatLE(stored, index * 4);
        index += 1;
      }
    }
    yield chunk;
  }
}

/** A constant f32 tensor (norm weights of 1). */
export function* constantF32Chunks(length: number, value: number): Generator<Uint8Array> {
  const chunk = Buffer.alloc(length * 4);
  for (let index = 0; index < length; index += 1) chunk.writeFloatLE(value, index * 4);
  yield chunk;
}
