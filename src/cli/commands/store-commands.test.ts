import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type TestContext, test } from 'node:test';
import { EXIT_CODES } from '../../core/errors.js';
import { openStore } from '../../store/open-store.js';

const entry = resolve(import.meta.dirname, '..', 'entry.ts');

function kitt(args: string[], env: Record<string, string>, cwd: string) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('KITT_') && key !== 'MODEL_PATH'),
  );
  const result = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), entry, ...args], {
    cwd,
    env: { ...clean, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('an unwritable kitt home exits 4 with one line naming the fix', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'not-a-folder');
  writeFileSync(file, '');
  const result = kitt(['results', 'list'], { KITT_HOME: join(file, 'home') }, dir);
  assert.equal(result.code, EXIT_CODES.HOME_NOT_WRITABLE);
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.match(
    result.stderr,
    /^error: KITT_HOME .*not-a-folder\/home is not a writable folder: .*not-a-folder is a file \(set KITT_HOME to a folder/,
  );
  assert.doesNotMatch(result.stderr, /at .*\.ts:\d+/);
});

test('a bad config value exits 2 with one line naming file, key path and allowed values', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'kitt.yaml'), 'engines:\n  llamacpp:\n    port: 99999\n');
  const result = kitt(['config', 'show'], { KITT_HOME: join(dir, 'home') }, dir);
  assert.equal(result.code, EXIT_CODES.CONFIG_INVALID);
  assert.equal(
    result.stderr.trim(),
    `error: ${join(dir, 'kitt.yaml')}: engines.llamacpp.port: expected an integer from 1 to 65535 (got 99999) (fix engines.llamacpp.port in ${join(dir, 'kitt.yaml')})`,
  );
});

test('config show prints each value with its origin and masks secrets', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'kitt.yaml'), 'run:\n  engine: llamacpp\nexport:\n  influx:\n    token: abc-secret\n');
  const env = { KITT_HOME: join(dir, 'home'), KITT_MODE: 'docker' };
  const result = kitt(['config', 'show'], env, dir);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, new RegExp(`run\\.engine +llamacpp +\\(file:${join(dir, 'kitt.yaml')}\\)`));
  assert.match(result.stdout, /run\.mode +docker +\(env:KITT_MODE\)/);
  assert.match(result.stdout, /export\.influx\.token +\*{8}/);
  assert.match(result.stdout, /store\.url +.*home\/kitt\.db +\(default\)/);
  assert.doesNotMatch(result.stdout, /abc-secret/);
  const json = kitt(['config', 'show', '--json'], env, dir);
  assert.equal(JSON.parse(json.stdout).sources['run.mode'], 'env:KITT_MODE');
  assert.doesNotMatch(json.stdout, /abc-secret/);
  const path = kitt(['config', 'path'], env, dir);
  assert.equal(path.stdout.trim(), join(dir, 'kitt.yaml'));
});

test('results list and show read the runs in the store', async (t) => {
  const dir = tempDir(t);
  const home = join(dir, 'home');
  {
    await using store = await openStore(join(home, 'kitt.db'));
    const run = await store.recordRunStarted({ id: 'run-1', engine: 'embedded', mode: 'embedded', model: 'tiny.gguf' });
    await store.recordRunFinished(run.id, { status: 'succeeded', metrics: { requests: 32 } });
  }
  const list = kitt(['results', 'list'], { KITT_HOME: home }, dir);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^ID +STARTED +STATUS/);
  assert.match(list.stdout, /run-1 .* succeeded .* embedded +embedded +tiny\.gguf/);
  const show = kitt(['results', 'show', 'run-1', '--json'], { KITT_HOME: home }, dir);
  assert.deepEqual(JSON.parse(show.stdout).metrics, { requests: 32 });
  const missing = kitt(['results', 'show', 'nope'], { KITT_HOME: home }, dir);
  assert.equal(missing.code, EXIT_CODES.USAGE);
  assert.match(missing.stderr, /no run nope in .*kitt results list shows the recorded runs/);
});

test('fingerprint --json reports a 64-hex hash', (t) => {
  const dir = tempDir(t);
  const result = kitt(['fingerprint', '--json'], { KITT_HOME: join(dir, 'home') }, dir);
  assert.equal(result.code, 0, result.stderr);
  const info = JSON.parse(result.stdout);
  assert.match(info.fingerprint, /^[0-9a-f]{64}$/);
  assert.ok(info.cpu.logicalCores >= 1);
});
