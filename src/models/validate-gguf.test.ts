import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { KittError } from '../core/errors.js';
import { ensureTestModel } from '../testing/test-model.js';
import { validateGguf } from './validate-gguf.js';

const dir = mkdtempSync(join(tmpdir(), 'kitt-validate-'));
let modelBytes: Buffer;
before(async () => {
  modelBytes = readFileSync(await ensureTestModel());
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function rejectsWith(path: string, code: string, message: RegExp): Promise<void> {
  await assert.rejects(validateGguf(path), (error: unknown) => {
    assert.ok(error instanceof KittError, String(error));
    assert.equal(error.code, code);
    assert.match(error.message, message);
    assert.ok(error.hint && error.hint.length > 0, 'a hint names the fix');
    assert.doesNotMatch(error.message, /\n/);
    return true;
  });
}

test('a missing file is MODEL_NOT_FOUND and the hint names -m and kitt model synth', async () => {
  const path = join(dir, 'nope.gguf');
  await rejectsWith(path, 'MODEL_NOT_FOUND', /model file .*nope\.gguf does not exist/);
  await validateGguf(path).catch((error: KittError) => {
    assert.match(error.hint ?? '', /-m PATH/);
    assert.match(error.hint ?? '', /kitt model synth/);
  });
});

test('a file that is not a GGUF is MODEL_NOT_GGUF', async () => {
  const path = join(dir, 'model.safetensors');
  writeFileSync(path, '{"__metadata__": {}} and then some weights');
  await rejectsWith(path, 'MODEL_NOT_GGUF', /does not start with the GGUF magic bytes/);
});

test('an empty file and a folder are MODEL_NOT_GGUF', async () => {
  const empty = join(dir, 'empty.gguf');
  writeFileSync(empty, '');
  await rejectsWith(empty, 'MODEL_NOT_GGUF', /too short/);
  const folder = join(dir, 'folder.gguf');
  mkdirSync(folder);
  await rejectsWith(folder, 'MODEL_NOT_GGUF', /not a regular file/);
});

test('a GGUF cut inside its header is MODEL_NOT_GGUF (truncated)', async () => {
  const path = join(dir, 'cut-header.gguf');
  writeFileSync(path, modelBytes.subarray(0, 100_000));
  await rejectsWith(path, 'MODEL_NOT_GGUF', /ends inside its GGUF header \(truncated\)/);
});

test('a GGUF cut inside its tensor data is MODEL_NOT_GGUF naming the tensor', async () => {
  const path = join(dir, 'cut-data.gguf');
  writeFileSync(path, modelBytes.subarray(0, modelBytes.length - 1));
  await rejectsWith(path, 'MODEL_NOT_GGUF', /tensor output\.weight ends at byte \d+ but the file has \d+/);
});

test('an unsupported GGUF version is MODEL_NOT_GGUF', async () => {
  const path = join(dir, 'v1.gguf');
  const bytes = Buffer.from(modelBytes.subarray(0, 4096));
  bytes.writeUInt32LE(1, 4);
  writeFileSync(path, bytes);
  await rejectsWith(path, 'MODEL_NOT_GGUF', /GGUF version 1 is not supported/);
});

test('the test model validates as a synthetic llama model', async () => {
  const info = await validateGguf(await ensureTestModel());
  assert.equal(info.architecture, 'llama');
  assert.equal(info.synthetic, true);
  assert.equal(info.fileBytes, modelBytes.length);
});
