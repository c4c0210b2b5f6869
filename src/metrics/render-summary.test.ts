import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failedRecord, streamedRecord } from '../testing/request-records.js';
import { crossCheckEngine } from './engine-cross-check.js';
import { summarizeGpu } from './gpu-energy.js';
import { renderSummaryMarkdown, renderSummaryTable } from './render-summary.js';
import { parseRecordLine, serializeRecord } from './serialize-record.js';
import { summarizeRun } from './summarize-run.js';

const records = [
  streamedRecord({
    id: 0,
    sentAtMs: 1000,
    arrivalsAtMs: [1100, 1120.0004, 1140],
    tokens: [1, 2, 1],
    overrides: { engine: { promptMs: 90, tpotMs: 12, completionTokens: 4 }, queuedMs: 0 },
  }),
  streamedRecord({ id: 1, sentAtMs: 1200, arrivalsAtMs: [1300, 1350] }),
  failedRecord('dropped', { id: 2, scheduledAtMs: 1250, sentAtMs: null, endAtMs: 1250 }),
];

test('the terminal table aligns every latency column', () => {
  const text = renderSummaryTable(summarizeRun(records, { slo: { ttftMs: 150 } }));
  assert.match(text, /requests\s+3 measured: 2 succeeded, 0 failed, 1 dropped, 0 aborted/);
  assert.match(text, /SLO attainment\s+66\.7 % \(2 of 3\)/);
  const table = text.split('\n\n')[1]!.trimEnd().split('\n');
  const header = table[0]!;
  assert.ok(table.length > 3);
  // every row ends where the header's last column ends
  for (const row of table) assert.equal(row.length, header.length, row);
  assert.ok(table.some((row) => row.startsWith('TTFT, send → first content token (ms)')));
});

test('summary.md carries facts, warnings, latency and the client-vs-engine table', () => {
  const metrics = summarizeRun(records);
  const md = renderSummaryMarkdown(metrics, {
    title: 'llama.cpp on tiny model',
    facts: { engine: 'llama.cpp', model: 'tiny|q8' },
    warnings: ['client CPU above 50 %'],
    crossCheck: crossCheckEngine(records),
  });
  assert.match(md, /^# llama\.cpp on tiny model\n/);
  assert.match(md, /- \*\*model\*\*: tiny\|q8/);
  assert.match(md, /⚠ client CPU above 50 %/);
  assert.match(md, /\| TTFT, send → first content token \(ms\) \| 2 \|/);
  assert.match(md, /\| TTFT \(ms, mean\) \| 1 \| 100\.0 \| 90\.0 \| 10\.0 \| 11\.1 % \|/);
});

test('a request serialises to one JSONL line with every arrival relative to the run start and reads back', () => {
  const line = serializeRecord(records[0]!, 1000);
  assert.ok(!line.includes('\n'));
  const raw = JSON.parse(line);
  assert.deepEqual(raw.arrivals, [
    [100, 1, 'c'],
    [120, 2, 'c'],
    [140, 1, 'c'],
  ]);
  assert.equal(raw.sentAtMs, 0);
  assert.equal(raw.endAtMs, 140);
  const back = parseRecordLine(line);
  assert.deepEqual(summarizeRun([back]).ttftMs, summarizeRun([records[0]!]).ttftMs);
  assert.deepEqual(back.engine, records[0]!.engine);
});

test('a resent request is written to requests.jsonl and named in the summary', () => {
  const resent = streamedRecord({ sentAtMs: 0, arrivalsAtMs: [10, 20], overrides: { retries: 1 } });
  assert.equal(parseRecordLine(serializeRecord(resent)).retries, 1);
  assert.match(renderSummaryTable(summarizeRun([resent])), /1 resent after a stale connection/);
});

test('summary.md puts GPU power and J per output token beside the throughput', () => {
  const run = [streamedRecord({ sentAtMs: 0, arrivalsAtMs: [500, 1000, 1500, 2000] })];
  const gpu = summarizeGpu(
    [0, 1000, 2000].map((atMs) => ({
      atMs,
      index: 0,
      uuid: 'GPU-0',
      utilizationPercent: 90,
      memoryUsedMiB: 2048,
      powerW: 250,
      smClockMHz: 1980,
    })),
    { startMs: 0, endMs: 2000 },
    4,
  );
  const md = renderSummaryMarkdown(summarizeRun(run), { title: 't', gpu });
  assert.match(
    md,
    /mean power 250\.0 W, energy 500\.0 J over 2\.00 s, 125\.000 J per output token at 2 output tokens\/s/,
  );
  assert.match(md, /\| 0 \| 3 \| 90\.0 \| 2048 \| 1980 \| 250\.0 \| 250\.0 \| 500\.0 \|/);
});
