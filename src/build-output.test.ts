import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = fileURLToPath(new URL('../node_modules/.bin/tsc', import.meta.url));

function emittedFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? emittedFiles(path) : path.endsWith('.js') ? [path] : [];
  });
}

/** Why an emitted file is test support that must not ship; undefined when it may. */
function testSupportIn(path: string, text: string): string | undefined {
  if (/(?:from\s*|import\s*\(\s*|require\s*\(\s*)['"]node:test['"]/.test(text)) return 'imports node:test';
  if (path.split('/').includes('testing')) return 'is test support (src/testing)';
  if (/\bclass (ManualClock|RecordingProgress)\b/.test(text)) return 'defines a test double';
  if (/(^|\/)(fake-kitt|exact-schedule-server|replay-server)\.js$/.test(path)) return 'is a test fixture';
  return undefined;
}

// What `npm run build` puts in dist/ (and the package ships) is compiled from tsconfig.build.json.
test('the build emits no test support: nothing imports node:test, no test doubles, fixtures or src/testing', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'kitt-build-'));
  try {
    const build = spawnSync(tsc, ['-p', 'tsconfig.build.json', '--outDir', outDir], { cwd: root, encoding: 'utf8' });
    assert.equal(build.status, 0, `tsc -p tsconfig.build.json:\n${build.stdout}${build.stderr}`.slice(-4000));
    // the entry bin/kitt.js loads: proves this looked at the real build, not an empty folder
    assert.ok(existsSync(join(outDir, 'cli', 'entry.js')), 'the build has no cli/entry.js');
    const shipped = emittedFiles(outDir).flatMap((path) => {
      const why = testSupportIn(relative(outDir, path), readFileSync(path, 'utf8'));
      return why === undefined ? [] : [`${relative(outDir, path)} ${why}`];
    });
    assert.deepEqual(shipped, []);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});

test('the build check recognises each kind of test support', () => {
  assert.equal(testSupportIn('engines/suite.js', "import { test } from 'node:test';"), 'imports node:test');
  assert.equal(testSupportIn('x.js', "const t = await import('node:test');"), 'imports node:test');
  assert.equal(testSupportIn('testing/free-port.js', ''), 'is test support (src/testing)');
  assert.equal(testSupportIn('core/clock.js', 'export class ManualClock {'), 'defines a test double');
  assert.equal(testSupportIn('runtime/process/fixtures/fake-kitt.js', ''), 'is a test fixture');
  assert.equal(testSupportIn('load/run-load.js', "import { request } from 'undici';"), undefined);
});
