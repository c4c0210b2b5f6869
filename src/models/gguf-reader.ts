import { open, stat } from 'node:fs/promises';
import { KittError } from '../core/errors.js';
import {
  alignUp,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_VALUE_TYPES,
  type GgufArray,
  type GgufMetadata,
  type GgufTensorInfo,
  type GgufValue,
  type GgufValueType,
} from './gguf-format.js';

/** Everything before the tensor data: what a GGUF says about itself and where its tensors lie. */
export interface GgufHeader {
  version: number;
  metadata: GgufMetadata;
  tensors: GgufTensorInfo[];
  alignment: number;
  /** Absolute byte offset where the data section begins. */
  dataOffset: number;
  fileBytes: number;
}

/** Thrown by the parser when the bytes read so far end before the header does. */
class NeedMoreBytes extends Error {}

const FIRST_READ_BYTES = 1 << 20;

/**
 * Reads a GGUF's header, metadata and tensor infos without reading its tensor data: it reads
 * 1 MiB, parses, and doubles the read only when the header runs past it (vocabularies run to MBs).
 * Throws MODEL_NOT_FOUND for a missing file and MODEL_NOT_GGUF for anything that is not a whole
 * GGUF header.
 */
export async function readGgufMetadata(path: string): Promise<GgufHeader> {
  const fileBytes = await fileSizeOf(path);
  const handle = await open(path, 'r');
  try {
    let want = Math.min(fileBytes, FIRST_READ_BYTES);
    for (;;) {
      const buffer = Buffer.alloc(want);
      const { bytesRead } = await handle.read(buffer, 0, want, 0);
      try {
        return parseGgufHeader(buffer.subarray(0, bytesRead), fileBytes, path);
      } catch (error) {
        if (!(error instanceof NeedMoreBytes)) throw error;
        if (bytesRead >= fileBytes) {
          throw notGguf(path, 'the file ends inside its GGUF header (truncated)');
        }
        want = Math.min(fileBytes, want * 2);
      }
    }
  } finally {
    await handle.close();
  }
}

async function fileSizeOf(path: string): Promise<number> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw notGguf(path, 'it is not a regular file');
    return info.size;
  } catch (error) {
    if (error instanceof KittError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new KittError('MODEL_NOT_FOUND', `model file ${path} does not exist`, {
        hint: 'pass -m PATH to a .gguf file, or run `kitt model synth` to make one',
      });
    }
    throw new KittError('MODEL_NOT_FOUND', `cannot read model file ${path}: ${(error as Error).message}`, {
      hint: 'check the path and its permissions',
      cause: error,
    });
  }
}

export function notGguf(path: string, why: string): KittError {
  return new KittError('MODEL_NOT_GGUF', `${path} is not a GGUF model: ${why}`, {
    hint: 'pass a llama.cpp .gguf file (convert others with llama.cpp convert_hf_to_gguf.py), or run `kitt model synth`',
  });
}

/** Parses a header from the bytes read so far; throws NeedMoreBytes when they end too soon. */
export function parseGgufHeader(bytes: Buffer, fileBytes: number, path: string): GgufHeader {
  const cursor = new ByteCursor(bytes, fileBytes, path);
  if (bytes.length < 4) throw bytes.length < fileBytes ? new NeedMoreBytes() : notGguf(path, 'the file is too short');
  const magic = cursor.u32();
  if (magic !== GGUF_MAGIC) throw notGguf(path, 'it does not start with the GGUF magic bytes');
  const version = cursor.u32();
  if (version !== 2 && version !== 3) throw notGguf(path, `GGUF version ${version} is not supported (2 or 3 are)`);
  const tensorCount = cursor.count('tensor count');
  const kvCount = cursor.count('metadata count');
  const metadata: GgufMetadata = new Map();
  for (let index = 0; index < kvCount; index += 1) {
    const key = cursor.string();
    metadata.set(key, cursor.value(cursor.valueType()));
  }
  const tensors: GgufTensorInfo[] = [];
  for (let index = 0; index < tensorCount; index += 1) {
    const name = cursor.string();
    const nDims = cursor.u32();
    if (nDims > 8) throw notGguf(path, `tensor ${name} claims ${nDims} dimensions`);
    const dims: number[] = [];
    for (let dim = 0; dim < nDims; dim += 1) dims.push(cursor.count(`dimension of ${name}`));
    tensors.push({ name, dims, type: cursor.u32(), offset: cursor.count(`offset of ${name}`) });
  }
  const alignmentValue = metadata.get('general.alignment');
  const alignment =
    alignmentValue?.type === 'u32' && alignmentValue.value > 0 ? alignmentValue.value : GGUF_DEFAULT_ALIGNMENT;
  return { version, metadata, tensors, alignment, dataOffset: alignUp(cursor.position, alignment), fileBytes };
}

/** Little-endian reads over a Buffer that may hold only the start of the file. */
class ByteCursor {
  position = 0;
  constructor(
    private readonly bytes: Buffer,
    private readonly fileBytes: number,
    private readonly path: string,
  ) {}

  private take(length: number): number {
    const at = this.position;
    if (at + length > this.bytes.length) {
      if (at + length > this.fileBytes) throw notGguf(this.path, 'the file ends inside its GGUF header (truncated)');
      throw new NeedMoreBytes();
    }
    this.position += length;
    return at;
  }

  u32(): number {
    return this.bytes.readUInt32LE(this.take(4));
  }

  /** A u64 count or size, which can never exceed the file's own size in a sane file. */
  count(what: string): number {
    const value = this.bytes.readBigUInt64LE(this.take(8));
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw notGguf(this.path, `its ${what} (${value}) is impossible`);
    return Number(value);
  }

  string(): string {
    const length = this.count('string length');
    if (length > this.fileBytes)
      throw notGguf(this.path, `a ${length}-byte string cannot fit in the file (truncated or damaged)`);
    const at = this.take(length);
    return this.bytes.toString('utf8', at, at + length);
  }

  valueType(): GgufValueType {
    const code = this.u32();
    const type = GGUF_VALUE_TYPES[code];
    if (type === undefined) throw notGguf(this.path, `unknown metadata value type ${code}`);
    return type;
  }

  value(type: GgufValueType): GgufValue {
    const b = this.bytes;
    switch (type) {
      case 'u8':
        return { type, value: b.readUInt8(this.take(1)) };
      case 'i8':
        return { type, value: b.readInt8(this.take(1)) };
      case 'u16':
        return { type, value: b.readUInt16LE(this.take(2)) };
      case 'i16':
        return { type, value: b.readInt16LE(this.take(2)) };
      case 'u32':
        return { type, value: b.readUInt32LE(this.take(4)) };
      case 'i32':
        return { type, value: b.readInt32LE(this.take(4)) };
      case 'f32':
        return { type, value: b.readFloatLE(this.take(4)) };
      case 'f64':
        return { type, value: b.readDoubleLE(this.take(8)) };
      case 'u64':
        return { type, value: b.readBigUInt64LE(this.take(8)) };
      case 'i64':
        return { type, value: b.readBigInt64LE(this.take(8)) };
      case 'bool':
        return { type, value: b.readUInt8(this.take(1)) !== 0 };
      case 'string':
        return { type, value: this.string() };
      case 'array':
        return this.array();
    }
  }

  private array(): GgufArray {
    const itemType = this.valueType();
    const length = this.count('array length');
    if (length > this.fileBytes)
      throw notGguf(this.path, `an array of ${length} items cannot fit in the file (truncated or damaged)`);
    if (itemType === 'array') {
      const nested: GgufArray[] = [];
      for (let index = 0; index < length; index += 1) nested.push(this.array());
      return { type: 'array', itemType, value: nested };
    }
    const items: unknown[] = new Array(length);
    for (let index = 0; index < length; index += 1) items[index] = this.value(itemType).value;
    return { type: 'array', itemType, value: items } as GgufArray;
  }
}
