import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { listBuildContext } from './build-context.js';

function contextWith(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'kitt-ctx-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

test('an allowlist .dockerignore sends only the folders it lets through, plus the Dockerfile', (t) => {
  const root = contextWith({
    '.dockerignore': '*\n!src/\n!package.json\n**/*.log\n',
    Dockerfile: 'FROM scratch\n',
    'package.json': '{}',
    'src/a.ts': '',
    'src/deep/b.ts': '',
    'src/deep/debug.log': '',
    'node_modules/x/index.js': '',
    'README.md': '',
  });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  assert.deepEqual(listBuildContext(root, 'Dockerfile'), [
    '.dockerignore',
    'Dockerfile',
    'package.json',
    'src/a.ts',
    'src/deep/b.ts',
  ]);
});

test('a denylist .dockerignore drops matching files at any depth and keeps the rest', (t) => {
  const root = contextWith({
    '.dockerignore': 'node_modules\n**/*.test.ts\n',
    'docker/web/Dockerfile': 'FROM scratch\n',
    'src/a.ts': '',
    'src/a.test.ts': '',
    'node_modules/x/index.js': '',
  });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  assert.deepEqual(listBuildContext(root, 'docker/web/Dockerfile'), [
    '.dockerignore',
    'docker/web/Dockerfile',
    'src/a.ts',
  ]);
});

test('without .dockerignore every file is sent', (t) => {
  const root = contextWith({ Dockerfile: 'FROM scratch\n', 'a/b/c.txt': '' });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  assert.deepEqual(listBuildContext(root, 'Dockerfile'), ['Dockerfile', 'a/b/c.txt']);
});

test("the repository's own .dockerignore sends sources and package files, never node_modules or .git", () => {
  const root = new URL('../../../', import.meta.url).pathname;
  const files = listBuildContext(root, 'Dockerfile');
  assert.ok(files.includes('package-lock.json'));
  assert.ok(files.includes('src/cli/entry.ts'));
  assert.ok(files.includes('bin/kitt.js'));
  assert.ok(!files.some((f) => f.startsWith('node_modules/') || f.startsWith('.git/') || f.startsWith('dist/')));
});
