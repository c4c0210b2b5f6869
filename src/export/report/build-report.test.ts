import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serializeRecord } from '../../metrics/serialize-record.js';
import { summarizeRun } from '../../metrics/summarize-run.js';
import { streamedRecord } from '../../testing/request-records.js';
import { buildReport } from './build-report.js';
import { MAX_POINTS, MAX_REQUEST_POINTS } from './chart-spec.js';
import { cdfColumns, histogramColumns, type WeightedColumns } from './distribution-charts.js';
import { renderReportHtml } from './render-report-html.js';
import { parseResultFiles } from './report-data.js';
import { collectRequests } from './request-columns.js';
import { latencyOverTime, throughputOverTime } from './timeline-charts.js';

const weighted = (samples: ReadonlyArray<{ value: number; weight: number }>): WeightedColumns => ({
  values: Float64Array.from(samples, (s) => s.value),
  weights: Float64Array.from(samples, (s) => s.weight),
  seen: samples.length,
  totalWeight: samples.reduce((sum, s) => sum + s.weight, 0),
});

const jsonl = (rows: unknown[]) =>
  rows.map((row) => `${typeof row === 'string' ? row : JSON.stringify(row)}\n`).join('');

test('the CDF is the exact empirical distribution, weighted, ending at 100 %', () => {
  const [xs, ys] = cdfColumns(
    weighted([
      { value: 30, weight: 1 },
      { value: 10, weight: 1 },
      { value: 20, weight: 2 },
    ]),
  );
  assert.deepEqual(xs, [10, 20, 30]);
  assert.deepEqual(ys, [25, 75, 100]);
});

test('a CDF past MAX_POINTS keeps evenly spaced points and the last one', () => {
  const samples = Array.from({ length: MAX_POINTS * 3 + 1 }, (_, i) => ({ value: i, weight: 1 }));
  const [xs, ys] = cdfColumns(weighted(samples));
  assert.ok(xs.length <= MAX_POINTS + 1);
  assert.equal(xs.at(-1), MAX_POINTS * 3);
  assert.equal(ys.at(-1), 100);
});

test('the histogram counts every sample once, the maximum in the last bin', () => {
  const samples = [1, 2, 2, 3, 9, 10].map((value) => ({ value, weight: 1 }));
  const [edges, counts] = histogramColumns(weighted(samples));
  assert.equal(
    counts.reduce((a, b) => a + b, 0),
    6,
  );
  assert.equal(edges[0], 1);
  assert.equal(counts.at(-1)! >= 1, true);
});

test('mean in flight per second is the overlap of each request with the second', () => {
  const records = [
    streamedRecord({ sentAtMs: 0, arrivalsAtMs: [100, 1500] }),
    streamedRecord({ sentAtMs: 500, arrivalsAtMs: [900] }),
  ];
  const chart = throughputOverTime(collectRequests(records).throughput)!;
  assert.deepEqual(chart.data[0], [0, 1]);
  // request 1 covers 1 s of bucket 0 and 0.5 s of bucket 1; request 2 covers 0.4 s of bucket 0
  assert.deepEqual(chart.data[3], [1.4, 0.5]);
  assert.deepEqual(chart.data[2], [1, 1], 'one request ended in each second');
});

function sweepFiles() {
  const records = [0, 1].flatMap((stage) =>
    Array.from({ length: 4 }, (_, i) =>
      streamedRecord({
        id: stage * 4 + i,
        sentAtMs: stage * 2000 + i * 400,
        arrivalsAtMs: [stage * 2000 + i * 400 + 50 + stage * 50, stage * 2000 + i * 400 + 80 + stage * 50],
        overrides: { stage },
      }),
    ),
  );
  const stats = [1000, 2000, 3000].map((tMs) => ({
    tMs,
    cpuPercentOfLimit: 80,
    throttledPeriods: 2,
    throttledTimeMs: 5,
    memoryBytes: 512 * 1024 ** 2,
    memoryLimitBytes: 1024 ** 3,
  }));
  const metrics = summarizeRun(records, { slo: { ttftMs: 400 } });
  return {
    'metrics.json': JSON.stringify({ runId: 'R1', metrics, crossCheck: null, warnings: ['late'] }),
    'requests.jsonl': jsonl(records.map((r) => serializeRecord(r))),
    'stats.jsonl': jsonl(stats),
    'run.json': JSON.stringify({ load: { kind: 'sweep', levels: [2, 4] } }),
  };
}

test('a sweep gets one point per level, resources one per sample, and the SLO drawn on the TTFT charts', () => {
  const model = buildReport(parseResultFiles(sweepFiles(), 'dir'));
  const charts = new Map(model.sections.flatMap((s) => s.charts).map((c) => [c.id, c]));
  assert.equal(model.title, 'kitt run R1');
  assert.equal(charts.get('sweep-latency-vs-rate')!.data[0]!.length, 2);
  assert.equal(charts.get('cpu-over-time')!.data[0]!.length, 3);
  assert.equal(charts.get('latency-over-time')!.data[0]!.length, 8);
  assert.deepEqual(
    charts.get('ttft-cdf')!.thresholds.map((t) => [t.value, t.axis]),
    [[400, 'x']],
  );
  assert.ok(!charts.has('engine-cross-check'), 'no engine reports, no cross-check chart');
  assert.ok(
    model.tables.some(
      (t) => t.title === 'Configuration' && t.rows.some(([k, v]) => k === 'load.levels' && v === '2, 4'),
    ),
  );
  assert.deepEqual(model.warnings, ['late']);
});

test('a single-stage run has no per-level section', () => {
  const files = sweepFiles();
  const oneStage = files['requests.jsonl'].replaceAll('"stage":1', '"stage":0');
  const model = buildReport(parseResultFiles({ ...files, 'requests.jsonl': oneStage }, 'dir'));
  assert.ok(!model.sections.some((s) => s.title === 'Per level'));
});

test('a calibration directory draws its windows', () => {
  const calibration = {
    runId: 'C1',
    rateKey: 'llamacpp/1cpu',
    outcome: 'calibrated',
    rate: 1.5,
    windows: [1, 2, 3].map((index) => ({
      index,
      kind: 'probe',
      rate: index,
      verdict: 'ok',
      measurement: { achievedRate: index * 0.9, cpuPercentOfLimit: 30 * index },
    })),
  };
  const model = buildReport(parseResultFiles({ 'calibration.json': JSON.stringify(calibration) }, 'dir'));
  const chart = model.sections.flatMap((s) => s.charts).find((c) => c.id === 'calibration-windows')!;
  assert.deepEqual(chart.data[2], [0.9, 1.8, 2.7]);
  assert.equal(chart.thresholds[0]!.value, 1.5);
});

test('text from the run cannot end the page’s scripts early', () => {
  const files = sweepFiles();
  const html = renderReportHtml(
    buildReport(parseResultFiles({ ...files, 'run.json': JSON.stringify({ note: '</script><b>x</b>' }) }, 'dir')),
    { name: 'uPlot', version: '0', js: 'var a = "</script>";', css: '' },
  );
  assert.ok(!html.includes('</script><b>'));
  assert.ok(html.includes('&lt;/script&gt;&lt;b&gt;'));
  assert.equal(html.match(/<\/script>/g)!.length, 4, 'only the page’s own four scripts close');
});

test('a long run draws at most MAX_REQUEST_POINTS requests over time, spread over the whole run', () => {
  const records = Array.from({ length: 50_000 }, (_, i) =>
    streamedRecord({ id: i, sentAtMs: i * 10, arrivalsAtMs: [i * 10 + 5, i * 10 + 8] }),
  );
  const chart = latencyOverTime(collectRequests(records).latency, null)!;
  const times = chart.data[0]!;
  assert.ok(times.length <= MAX_REQUEST_POINTS + 1);
  assert.equal(times[0], 0);
  assert.equal(times.at(-1), (49_999 * 10) / 1000, 'the last request is kept');
  assert.match(chart.note, /of 50000 requests/);
});
