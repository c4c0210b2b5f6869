import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EXIT_CODES } from '../../core/errors.js';
import { cleanEnv, KITT_ENTRY, tempHome } from '../../testing/kitt-cli.js';

// Root writes to a read-only folder anyway, so that case runs kitt as nobody when the tests run as root.
const NOBODY = 65_534;
const asRoot = process.getuid?.() === 0;

/** kitt with KITT_HOME set; bounded, because the fault being guarded against was a hang. */
function kittWithHome(args: readonly string[], home: string, options: { asNobody?: boolean } = {}) {
  const started = performance.now();
  const result = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), KITT_ENTRY, ...args], {
    env: cleanEnv({ KITT_HOME: home }),
    encoding: 'utf8',
    timeout: 30_000,
    ...(options.asNobody ? { uid: NOBODY, gid: NOBODY } : {}),
  });
  return { code: result.status, stderr: result.stderr, tookMs: performance.now() - started };
}

test('an odd KITT_HOME (a file, a read-only folder, a folder under /proc) is one error line naming KITT_HOME and the fix', (t) => {
  const scratch = tempHome(t, 'kitt-odd-home-');
  const file = join(scratch, 'a-file');
  writeFileSync(file, 'not a folder');
  const readOnly = join(scratch, 'read-only');
  mkdirSync(readOnly);
  chmodSync(readOnly, 0o555);
  if (asRoot) chmodSync(scratch, 0o755);
  const run = ['run', '--requests', '1'];
  const list = ['results', 'list'];
  const cases: Array<{ home: string; reason: RegExp; commands: string[][]; asNobody?: boolean }> = [
    { home: file, reason: /is a file/, commands: [run, list] },
    { home: join(file, 'sub'), reason: /a-file is a file/, commands: [run] },
    { home: readOnly, reason: /permission denied/, commands: [run], asNobody: asRoot },
    { home: '/proc/kitt-home', reason: /no files can be created there/, commands: [run, list] },
  ];
  for (const { home, reason, commands, asNobody } of cases) {
    for (const args of commands) {
      const result = kittWithHome(args, home, { asNobody: asNobody ?? false });
      const what = `KITT_HOME=${home} kitt ${args.join(' ')}`;
      assert.equal(result.code, EXIT_CODES.HOME_NOT_WRITABLE, `${what}: ${result.stderr}`);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `${what}: ${result.stderr}`);
      assert.match(lines[0]!, new RegExp(`^error: KITT_HOME ${home} is not a writable folder`), what);
      assert.match(lines[0]!, reason, what);
      assert.match(lines[0]!, /set KITT_HOME to a folder kitt may write to/, what);
      // startup of the CLI through tsx takes seconds on a loaded machine; a hang takes forever
      assert.ok(result.tookMs < 20_000, `${what} took ${Math.round(result.tookMs)} ms`);
    }
  }
});
