import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { KittError } from './errors.js';
import { ensureWritableDir, makeDirs } from './kitt-home.js';

function scratch(t: import('node:test').TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-home-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('makeDirs creates every missing parent and accepts a folder that exists', (t) => {
  const dir = join(scratch(t), 'a', 'b', 'c');
  makeDirs(dir);
  makeDirs(dir);
  assert.ok(existsSync(dir));
});

test('makeDirs fails at once under /proc, where a recursive mkdir loops forever', () => {
  const started = performance.now();
  assert.throws(() => makeDirs('/proc/kitt-home-test/a/b'), { code: 'ENOENT' });
  assert.ok(performance.now() - started < 1_000);
});

test('a KITT_HOME that is a file, or lies under one, is refused naming KITT_HOME and the file', (t) => {
  const file = join(scratch(t), 'home');
  writeFileSync(file, 'not a folder');
  for (const home of [file, join(file, 'sub')]) {
    assert.throws(
      () => ensureWritableDir(home, { KITT_HOME: home }),
      (error: unknown) =>
        error instanceof KittError &&
        error.code === 'HOME_NOT_WRITABLE' &&
        error.message === `KITT_HOME ${home} is not a writable folder: ${file} is a file` &&
        /set KITT_HOME to a folder kitt may write to/.test(error.hint ?? ''),
    );
  }
});

test('a folder under KITT_HOME names the home, one elsewhere names only itself', (t) => {
  const home = '/proc/kitt-home-test';
  assert.throws(() => ensureWritableDir(join(home, 'results', 'r1'), { KITT_HOME: home }), {
    message: `KITT_HOME ${home} is not a writable folder (cannot create ${home}/results/r1): no files can be created there`,
  });
  const elsewhere = join(scratch(t), 'out');
  writeFileSync(elsewhere, '');
  assert.throws(() => ensureWritableDir(elsewhere, { KITT_HOME: home }), {
    message: `cannot write to ${elsewhere}: ${elsewhere} is a file`,
  });
});

test('a writable folder passes and keeps no probe file behind', (t) => {
  const dir = join(scratch(t), 'ok');
  assert.equal(ensureWritableDir(dir, { KITT_HOME: dir }), dir);
  assert.deepEqual(readdirSync(dir), []);
});
