import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildReport } from '../../export/report/build-report.js';
import { readReportData } from '../../export/report/write-report.js';
import { serializeRecord } from '../../metrics/serialize-record.js';
import type { StoredRun } from '../../store/store-types.js';
import { streamedRecord } from '../../testing/request-records.js';
import { createRunChartReader } from './run-charts.js';

const storedRun = (resultPath: string | undefined, metrics: unknown = { runId: 'r', warnings: [] }): StoredRun => ({
  id: 'r',
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:01:00.000Z',
  status: 'succeeded',
  engine: 'exact',
  mode: 'host',
  model: 'm',
  modelSha256: undefined,
  modelSizeBytes: undefined,
  hardwareFingerprint: undefined,
  hardware: undefined,
  config: undefined,
  limits: undefined,
  metrics,
  resultPath,
  error: undefined,
  owner: undefined,
});

function resultDir(t: { after: (fn: () => void) => void }, requests: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-run-charts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const lines = Array.from({ length: requests }, (_, id) =>
    serializeRecord(streamedRecord({ id, sentAtMs: id * 50, arrivalsAtMs: [id * 50 + 30, id * 50 + 40], tailMs: 1 })),
  );
  if (requests > 0) writeFileSync(join(dir, 'requests.jsonl'), `${lines.join('\n')}\n`);
  return dir;
}

test("a run's charts are the report's sections, the stored document standing for metrics.json", async (t) => {
  const dir = resultDir(t, 40);
  const charts = await createRunChartReader()(storedRun(dir));
  assert.equal(charts.note, null);
  const report = buildReport(
    await readReportData(dir, { 'metrics.json': JSON.stringify({ runId: 'r', warnings: [] }) }),
  );
  assert.deepEqual(charts.sections, report.sections);
  assert.ok(charts.sections.some((s) => s.charts.some((c) => c.id === 'latency-over-time')));
});

test('a build slower than the wait answers a note at once and serves the charts on the next visit', async (t) => {
  const dir = resultDir(t, 400);
  const read = createRunChartReader(0);
  const first = await read(storedRun(dir));
  assert.deepEqual(first.sections, []);
  assert.match(first.note ?? '', /being built from .* of requests\.jsonl/);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const second = await createRunChartReader(5000)(storedRun(dir));
  const cached = await read(storedRun(dir));
  assert.deepEqual(cached.sections, second.sections, 'the same build, kept');
  assert.equal(cached.note, null);
});

test('no result folder, no request log or a log that is not kitt’s: a note instead of charts, never an error', async (t) => {
  const read = createRunChartReader();
  assert.match((await read(storedRun(undefined))).note ?? '', /no result folder/);
  const empty = resultDir(t, 0);
  assert.match((await read(storedRun(empty))).note ?? '', /no requests\.jsonl/);
  const foreign = resultDir(t, 0);
  writeFileSync(join(foreign, 'requests.jsonl'), '{"id":0,"ok":true}\n');
  const broken = await read(storedRun(foreign));
  assert.deepEqual(broken.sections, []);
  assert.match(broken.note ?? '', /could not be read/);
  // a kitt agents run is charted from its steps, and one without steps says so, not that requests are missing
  const agents = await read(storedRun(empty, { schema: 'kitt.agents-metrics.v1', steps: {} }));
  assert.doesNotMatch(agents.note ?? '', /requests\.jsonl/);
});
