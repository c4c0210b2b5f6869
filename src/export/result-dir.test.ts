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
import { openRequestLog, writeResultDir } from './result-dir.js';

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

test('the request log reaches disk within its flush interval, in order, before it is closed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-request-log-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const log = await openRequestLog(dir, 1000, { flushEveryMs: 100 });
  for (let id = 0; id < 5; id++) log.append(streamedRecord({ id, sentAtMs: 1000 + id, arrivalsAtMs: [1010 + id] }));
  const path = join(dir, 'requests.jsonl');
  assert.equal(readFileSync(path, 'utf8'), '', 'nothing is written per record');
  await new Promise((resolve) => setTimeout(resolve, 300));
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  assert.deepEqual(
    lines.map((line) => parseRecordLine(line).id),
    [0, 1, 2, 3, 4],
    'every record is on disk after one interval, without close()',
  );
  assert.equal(parseRecordLine(lines[2]!).sentAtMs, 2, 'times count from the origin');
  log.append(streamedRecord({ id: 5, sentAtMs: 1100, arrivalsAtMs: [1110] }));
  await log.close();
  assert.equal(log.written, 6);
  assert.equal(log.failure, undefined);
});

test('a request log whose folder disappears fails once, keeps counting and leaves the lines it wrote', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-request-log-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const log = await openRequestLog(join(dir, 'run'), 0, { flushEveryMs: 60_000 });
  log.append(streamedRecord({ id: 0, sentAtMs: 0, arrivalsAtMs: [1] }));
  await log.flush();
  await rm(join(dir, 'run'), { recursive: true });
  writeFileSync(join(dir, 'run'), 'a file where the folder was');
  log.append(streamedRecord({ id: 1, sentAtMs: 0, arrivalsAtMs: [1] }));
  await log.flush();
  log.append(streamedRecord({ id: 2, sentAtMs: 0, arrivalsAtMs: [1] }));
  await log.close();
  assert.equal(log.written, 1);
  assert.equal(log.lost, 2);
  assert.ok(log.failure instanceof KittError);
  assert.match(log.failure.message, new RegExp(`could not write results to ${join(dir, 'run')}`));
  assert.match(log.failure.hint ?? '', /-o DIR/);
});
