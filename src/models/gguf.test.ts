import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { GgufMetadata } from './gguf-format.js';
import { readGgufMetadata } from './gguf-reader.js';
import { encodeGgufHeader, writeGguf } from './gguf-writer.js';
import { toFloat16Bits } from './seeded-weights.js';
import { llamaSpmVocabPath } from './vocab-asset.js';

const dir = mkdtempSync(join(tmpdir(), 'kitt-gguf-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the reader returns every metadata type, tensor info and byte the writer wrote', async () => {
  const metadata: GgufMetadata = new Map([
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.alignment', { type: 'u32', value: 64 }],
    ['t.u8', { type: 'u8', value: 255 }],
    ['t.i8', { type: 'i8', value: -128 }],
    ['t.u16', { type: 'u16', value: 65535 }],
    ['t.i16', { type: 'i16', value: -32768 }],
    ['t.i32', { type: 'i32', value: -2147483648 }],
    ['t.f32', { type: 'f32', value: 0.5 }],
    ['t.f64', { type: 'f64', value: Math.PI }],
    ['t.u64', { type: 'u64', value: 2n ** 64n - 1n }],
    ['t.i64', { type: 'i64', value: -(2n ** 63n) }],
    ['t.bool', { type: 'bool', value: false }],
    ['t.utf8', { type: 'string', value: 'Äpfel 🦙' }],
    ['t.strings', { type: 'array', itemType: 'string', value: ['a', '', 'ß'] }],
    ['t.floats', { type: 'array', itemType: 'f32', value: [1.5, -2, 0] }],
    ['t.empty', { type: 'array', itemType: 'i32', value: [] }],
    [
      't.nested',
      {
        type: 'array',
        itemType: 'array',
        value: [
          { type: 'array', itemType: 'u64', value: [1n, 2n] },
          { type: 'array', itemType: 'bool', value: [true] },
        ],
      },
    ],
  ]);
  const first = Buffer.from(Float32Array.from([1, 2, 3]).buffer); // 12 bytes: the next tensor must be padded to 64
  const second = Buffer.from(Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001]).buffer);
  const path = join(dir, 'roundtrip.gguf');
  await writeGguf(path, {
    metadata,
    tensors: [
      { name: 'a', dims: [3], type: 0, chunks: () => [first] },
      { name: 'b', dims: [2, 2], type: 1, chunks: () => [second.subarray(0, 4), second.subarray(4)] },
    ],
  });

  const header = await readGgufMetadata(path);
  assert.equal(header.version, 3);
  assert.deepEqual(header.metadata, metadata);
  assert.deepEqual(header.tensors, [
    { name: 'a', dims: [3], type: 0, offset: 0 },
    { name: 'b', dims: [2, 2], type: 1, offset: 64 },
  ]);
  assert.equal(header.alignment, 64);
  assert.equal(header.dataOffset % 64, 0);
  const bytes = readFileSync(path);
  assert.deepEqual(bytes.subarray(header.dataOffset, header.dataOffset + 12), first);
  assert.deepEqual(bytes.subarray(header.dataOffset + 64, header.dataOffset + 72), second);
  assert.equal(bytes.length, header.dataOffset + 72);
});

test("encoding the header read from llama.cpp's vocabulary file reproduces its bytes exactly", async () => {
  const path = llamaSpmVocabPath();
  const header = await readGgufMetadata(path);
  const tokens = header.metadata.get('tokenizer.ggml.tokens');
  assert.equal(tokens?.type === 'array' && tokens.value.length, 32000);
  const encoded = encodeGgufHeader(header.metadata, header.tensors);
  assert.deepEqual(encoded, readFileSync(path).subarray(0, encoded.length));
});

test('a header larger than the first read is still read whole', async () => {
  const big = Array.from({ length: 40000 }, (_, index) => `token-${index}-${'x'.repeat(20)}`);
  const path = join(dir, 'big-header.gguf');
  await writeGguf(path, {
    metadata: new Map([['t.big', { type: 'array', itemType: 'string', value: big }]]),
    tensors: [],
  });
  const header = await readGgufMetadata(path);
  assert.ok(header.fileBytes > 1 << 20);
  assert.deepEqual(header.metadata.get('t.big')?.value, big);
});

test('a tensor that yields fewer bytes than its shape needs is refused', async () => {
  await assert.rejects(
    writeGguf(join(dir, 'short.gguf'), {
      metadata: new Map(),
      tensors: [{ name: 'w', dims: [4], type: 0, chunks: () => [Buffer.alloc(8)] }],
    }),
    /yielded 8 bytes, its shape needs 16/,
  );
});

test('float16 conversion rounds to nearest even and handles the edges', () => {
  const cases: Array<[number, number]> = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.1, 0x2e66],
    [65504, 0x7bff],
    [65520, 0x7c00], // rounds up to infinity
    [1e6, 0x7c00],
    [Number.POSITIVE_INFINITY, 0x7c00],
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -26, 0x0000], // below half of it: zero
    [2 ** -14, 0x0400], // smallest normal
    [1 + 2 ** -11, 0x3c00], // a tie: rounds to the even mantissa
    [1 + 3 * 2 ** -11, 0x3c02], // a tie: rounds up to even
  ];
  for (const [value, bits] of cases) assert.equal(toFloat16Bits(value), bits, `f16(${value})`);
  assert.equal(toFloat16Bits(Number.NaN) & 0x7c00, 0x7c00);
  assert.notEqual(toFloat16Bits(Number.NaN) & 0x3ff, 0);
});
