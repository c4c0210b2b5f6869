import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { listArtifacts, openArtifact, readRequestsPage } from './run-files.js';

test('pages requests.jsonl by line, skipping blank and torn lines, and says where the next page starts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-files-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'requests.jsonl'), '{"id":0}\n\n{"id":1}\n{"id":2}\n{"id":3}\n{"id":4, "cut');
  assert.deepEqual(await readRequestsPage(dir, 0, 2), { requests: [{ id: 0 }, { id: 1 }], nextOffset: 2 });
  assert.deepEqual(await readRequestsPage(dir, 2, 2), { requests: [{ id: 2 }, { id: 3 }], nextOffset: 4 });
  assert.deepEqual(await readRequestsPage(dir, 4, 2), { requests: [], nextOffset: null }, 'the torn last line');
  assert.deepEqual(await readRequestsPage(dir, 99, 2), { requests: [], nextOffset: null });
  assert.equal(await readRequestsPage(join(dir, 'missing'), 0, 2), undefined);
  assert.equal(await readRequestsPage(undefined, 0, 2), undefined);
});

test('lists only the four artifact names, and only regular files: a link out of the folder is not followed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-files-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'report.html'), 'x');
  writeFileSync(join(dir, 'metrics.json'), '{}');
  symlinkSync('/etc/passwd', join(dir, 'stages.csv'));
  assert.deepEqual(await listArtifacts(dir), [{ name: 'report.html', bytes: 1 }]);
  assert.equal(await openArtifact(dir, 'stages.csv'), undefined);
});
