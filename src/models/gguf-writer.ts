import { open } from 'node:fs/promises';
import {
  alignUp,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_VALUE_TYPES,
  GGUF_VERSION,
  type GgufArray,
  type GgufMetadata,
  type GgufTensorInfo,
  type GgufValue,
  type GgufValueType,
  tensorByteSize,
} from './gguf-format.js';

/** A tensor to write: its shape and type, and its bytes produced on demand so none is held whole. */
export interface GgufTensorSource {
  name: string;
  /** ggml order: dims[0] is the contiguous dimension. */
  dims: number[];
  /** ggml_type code; must be one whose size gguf-format knows. */
  type: number;
  /** Yields the tensor's bytes in order; together exactly the tensor's size. */
  chunks(): Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
}

export interface GgufWriteSpec {
  metadata: GgufMetadata;
  tensors: GgufTensorSource[];
}

/**
 * Writes a GGUF v3 file: the header in one write, then each tensor streamed chunk by chunk at its
 * aligned offset. Offsets are planned from the declared shapes before any data is produced, and a
 * tensor that yields a different number of bytes than its shape says is an error, not a bad file.
 */
export async function writeGguf(path: string, spec: GgufWriteSpec, onTensor?: (index: number) => void): Promise<void> {
  const alignmentValue = spec.metadata.get('general.alignment');
  const alignment = alignmentValue?.type === 'u32' ? alignmentValue.value : GGUF_DEFAULT_ALIGNMENT;
  const infos = planTensorOffsets(spec.tensors, alignment);
  const header = encodeGgufHeader(spec.metadata, infos);
  const handle = await open(path, 'w');
  try {
    const dataOffset = alignUp(header.length, alignment);
    await handle.write(Buffer.concat([header, Buffer.alloc(dataOffset - header.length)]));
    let written = 0;
    for (const [index, tensor] of spec.tensors.entries()) {
      const info = infos[index]!;
      if (info.offset > written) {
        await handle.write(Buffer.alloc(info.offset - written));
        written = info.offset;
      }
      const expected = tensorByteSize(tensor)!;
      let produced = 0;
      for await (const chunk of tensor.chunks()) {
        await handle.write(chunk);
        produced += chunk.byteLength;
      }
      if (produced !== expected) {
        throw new Error(`tensor ${tensor.name} yielded ${produced} bytes, its shape needs ${expected}`);
      }
      written += produced;
      onTensor?.(index);
    }
  } finally {
    await handle.close();
  }
}

/** Offsets of each tensor in the data section, each aligned, in the order given. */
export function planTensorOffsets(
  tensors: ReadonlyArray<Pick<GgufTensorSource, 'name' | 'dims' | 'type'>>,
  alignment: number,
): GgufTensorInfo[] {
  let offset = 0;
  return tensors.map((tensor) => {
    const size = tensorByteSize(tensor);
    if (size === undefined || !Number.isInteger(size)) {
      throw new Error(`tensor ${tensor.name}: ggml type ${tensor.type} with dims ${tensor.dims} has no whole size`);
    }
    const info = { name: tensor.name, dims: [...tensor.dims], type: tensor.type, offset };
    offset = alignUp(offset + size, alignment);
    return info;
  });
}

/** The header bytes: magic, version, counts, metadata and tensor infos (no padding). */
export function encodeGgufHeader(metadata: GgufMetadata, tensors: readonly GgufTensorInfo[]): Buffer {
  const out = new ByteSink();
  out.u32(GGUF_MAGIC);
  out.u32(GGUF_VERSION);
  out.u64(BigInt(tensors.length));
  out.u64(BigInt(metadata.size));
  for (const [key, value] of metadata) {
    out.string(key);
    out.u32(typeCode(value.type));
    out.value(value);
  }
  for (const tensor of tensors) {
    out.string(tensor.name);
    out.u32(tensor.dims.length);
    for (const dim of tensor.dims) out.u64(BigInt(dim));
    out.u32(tensor.type);
    out.u64(BigInt(tensor.offset));
  }
  return out.toBuffer();
}

function typeCode(type: GgufValueType): number {
  return GGUF_VALUE_TYPES.indexOf(type);
}

const SCALAR_BYTES: Record<Exclude<GgufValueType, 'array' | 'string'>, number> = {
  u8: 1,
  i8: 1,
  bool: 1,
  u16: 2,
  i16: 2,
  u32: 4,
  i32: 4,
  f32: 4,
  u64: 8,
  i64: 8,
  f64: 8,
};

/** A growable little-endian byte buffer for the header. */
class ByteSink {
  private buffer = Buffer.alloc(1 << 16);
  private length = 0;

  private room(bytes: number): number {
    if (this.length + bytes > this.buffer.length) {
      const grown = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + bytes));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    const at = this.length;
    this.length += bytes;
    return at;
  }

  u32(value: number): void {
    const at = this.room(4);
    this.buffer.writeUInt32LE(value, at);
  }

  u64(value: bigint): void {
    const at = this.room(8);
    this.buffer.writeBigUInt64LE(value, at);
  }

  string(value: string): void {
    const bytes = Buffer.from(value, 'utf8');
    this.u64(BigInt(bytes.length));
    const at = this.room(bytes.length);
    bytes.copy(this.buffer, at);
  }

  value(value: GgufValue): void {
    if (value.type === 'array') {
      this.array(value);
      return;
    }
    this.scalar(value.type, value.value);
  }

  private array(array: GgufArray): void {
    this.u32(typeCode(array.itemType));
    this.u64(BigInt(array.value.length));
    if (array.itemType === 'array') {
      for (const item of array.value) this.array(item);
      return;
    }
    for (const item of array.value) this.scalar(array.itemType, item);
  }

  private scalar(type: Exclude<GgufValueType, 'array'>, value: number | bigint | boolean | string): void {
    if (type === 'string') {
      this.string(value as string);
      return;
    }
    const at = this.room(SCALAR_BYTES[type]);
    const b = this.buffer;
    if (type === 'u8') b.writeUInt8(value as number, at);
    else if (type === 'i8') b.writeInt8(value as number, at);
    else if (type === 'u16') b.writeUInt16LE(value as number, at);
    else if (type === 'i16') b.writeInt16LE(value as number, at);
    else if (type === 'u32') b.writeUInt32LE(value as number, at);
    else if (type === 'i32') b.writeInt32LE(value as number, at);
    else if (type === 'f32') b.writeFloatLE(value as number, at);
    else if (type === 'f64') b.writeDoubleLE(value as number, at);
    else if (type === 'u64') b.writeBigUInt64LE(value as bigint, at);
    else if (type === 'i64') b.writeBigInt64LE(value as bigint, at);
    else b.writeUInt8(value ? 1 : 0, at);
  }

  toBuffer(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}
