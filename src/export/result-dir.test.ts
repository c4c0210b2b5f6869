import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { KittError } from '../core/errors.js';
import { parseRecordLine } from '../metrics/serialize-record.js';
import { summarizeRun } from '../metrics/summarize-run.js';
import { streamedRecord } from '../testing/request-records.js';
import { writeResultDir } from './result-dir.js';

const records = Array.from({ length: 5000 }, (_, id) =>
  streamedRecord({ id, sentAtMs: 1000 + id, arrivalsAtMs: [1100 + id, 1110 + id, 1125 + id] }),
);

test('a result directory holds metrics.json, requests.jsonl and summary.md that read back', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-result-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const metrics = summarizeRun(records);
  const written = await writeResultDir(join(dir, 'run-1'), {
    metrics,
    records,
    summaryMarkdown: '# run 1\n',
    originMs: 1000,
    extraFiles: { 'engine.log': 'ready\n' },
  });
  assert.deepEqual(readdirSync(written.dir).sort(), ['engine.log', 'metrics.json', 'requests.jsonl', 'summary.md']);
  assert.deepEqual(JSON.parse(readFileSync(join(written.dir, 'metrics.json'), 'utf8')), metrics);
  const lines = readFileSync(join(written.dir, 'requests.jsonl'), 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, records.length);
  const back = lines.map(parseRecordLine);
  assert.equal(back[0]!.sentAtMs, 0);
  // the raw lines carry everything: the summary recomputed from them equals the original
  assert.deepEqual(summarizeRun(back).ttftMs, metrics.ttftMs);
  assert.equal(readFileSync(join(written.dir, 'summary.md'), 'utf8'), '# run 1\n');
});

test('an unwritable result folder is a one-line EXPORT_FAILED error with a fix', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-result-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const blocker = join(dir, 'file');
  writeFileSync(blocker, 'not a folder');
  await assert.rejects(
    writeResultDir(join(blocker, 'run'), { metrics: summarizeRun([]), records: [], summaryMarkdown: '' }),
    (error: unknown) => error instanceof KittError && error.code === 'EXPORT_FAILED' && error.hint !== undefined,
  );
});

test('extra files must be plain names, so nothing lands outside the result folder', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-result-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await assert.rejects(
    writeResultDir(dir, {
      metrics: summarizeRun([]),
      records: [],
      summaryMarkdown: '',
      extraFiles: { '../escape.txt': 'x' },
    }),
    /not a plain file name/,
  );
  assert.deepEqual(readdirSync(dir).sort(), ['metrics.json', 'requests.jsonl', 'summary.md']);
});
