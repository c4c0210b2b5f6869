import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type TestContext, test } from 'node:test';
import { EXIT_CODES } from '../../core/errors.js';
import { validateGguf } from '../../models/validate-gguf.js';
import { ensureTestModel } from '../../testing/test-model.js';

const entry = resolve(import.meta.dirname, '..', 'entry.ts');

function kitt(args: string[], home: string) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('KITT_') && key !== 'MODEL_PATH'),
  );
  const result = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), entry, ...args], {
    env: { ...clean, KITT_HOME: home },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-model-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('model synth writes a valid synthetic model at --out and prints its path', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'tiny.gguf');
  const result = kitt(['model', 'synth', '--out', out, '--preset', 'tiny', '--seed', '4'], join(dir, 'home'));
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, `${out}\n`);
  const info = await validateGguf(out);
  assert.deepEqual([info.synthetic, info.name, info.seed], [true, 'kitt-synthetic-tiny', 4]);

  const again = kitt(['model', 'synth', '--out', out, '--preset', 'tiny', '--seed', '4'], join(dir, 'home'));
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /reusing/);
});

test('model synth with no --out writes under the kitt home', async (t) => {
  const dir = tempDir(t);
  const result = kitt(['model', 'synth'], join(dir, 'home'));
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.trim(), join(dir, 'home', 'models', 'kitt-synthetic-tiny-seed0.gguf'));
});

test('a bad --preset or --seed exits 2 with one line naming the fix', (t) => {
  const dir = tempDir(t);
  const preset = kitt(['model', 'synth', '--out', join(dir, 'x.gguf'), '--preset', 'huge'], dir);
  assert.equal(preset.code, EXIT_CODES.USAGE);
  assert.equal(preset.stderr, 'error: unknown model preset "huge" (use one of: tiny, small)\n');
  const seed = kitt(['model', 'synth', '--out', join(dir, 'x.gguf'), '--seed', '1.5'], dir);
  assert.equal(seed.code, EXIT_CODES.USAGE);
  assert.equal(seed.stderr.trim().split('\n').length, 1, seed.stderr);
  assert.match(seed.stderr, /^error: seed "1\.5" is not an integer .*\(pass --seed N/);
});

test('model synth refuses to overwrite a file that is not its model unless --force', (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'notes.txt');
  writeFileSync(out, 'keep me');
  const refused = kitt(['model', 'synth', '--out', out], dir);
  assert.equal(refused.code, EXIT_CODES.USAGE);
  assert.equal(
    refused.stderr,
    `error: ${out} already exists (pass --force to overwrite it, or choose another --out)\n`,
  );
  const forced = kitt(['model', 'synth', '--out', out, '--force'], dir);
  assert.equal(forced.code, 0, forced.stderr);
});

test('model inspect summarizes a GGUF, and prints JSON with --json', async (t) => {
  const dir = tempDir(t);
  const path = await ensureTestModel();
  const text = kitt(['model', 'inspect', path], dir);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^synthetic +yes: random weights \(preset tiny, seed 0\)$/m);
  assert.match(text.stdout, /^ {2}llama\.attention\.layer_norm_rms_epsilon +0\.00001$/m);
  const json = kitt(['model', 'inspect', path, '--json'], dir);
  assert.equal(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout) as { model: { vocabSize: number }; metadata: Record<string, unknown> };
  assert.equal(parsed.model.vocabSize, 32000);
  assert.equal(parsed.metadata['tokenizer.ggml.model'], 'llama');
});

test('model inspect of a missing file or a non-GGUF exits 3 with one line', (t) => {
  const dir = tempDir(t);
  const missing = kitt(['model', 'inspect', join(dir, 'nope.gguf')], dir);
  assert.equal(missing.code, EXIT_CODES.MODEL_NOT_FOUND);
  assert.match(missing.stderr, /^error: model file .*nope\.gguf does not exist \(pass -m PATH .*kitt model synth/);
  const foreign = join(dir, 'weights.bin');
  writeFileSync(foreign, Buffer.alloc(64, 7));
  const notGguf = kitt(['model', 'inspect', foreign], dir);
  assert.equal(notGguf.code, EXIT_CODES.MODEL_NOT_GGUF);
  assert.equal(notGguf.stderr.trim().split('\n').length, 1, notGguf.stderr);
});
