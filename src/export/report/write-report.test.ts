import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RequestRecord } from '../../metrics/request-record.js';
import { serializeRecord } from '../../metrics/serialize-record.js';
import { streamedRecord } from '../../testing/request-records.js';
import { type ChartSpec, MAX_POINTS, MAX_REQUEST_POINTS } from './chart-spec.js';
import { MAX_EXACT_INTERVALS } from './distribution-charts.js';
import { writeReport } from './write-report.js';

const REQUESTS = 300_000;
const MiB = 1024 * 1024;

/**
 * Request `id` of a two-level sweep sent every 2 ms: 8 one-token arrivals 20 ms apart (7 per-token
 * intervals, so 2.1 M in all, past the exact cap), every other one with an engine report.
 */
function syntheticRecord(id: number): RequestRecord {
  const sentAtMs = id * 2;
  const firstMs = sentAtMs + 40 + (id % 97);
  return streamedRecord({
    id,
    sentAtMs,
    arrivalsAtMs: Array.from({ length: 8 }, (_, i) => firstMs + i * (20 + (id % 7))),
    tailMs: 1,
    overrides: {
      stage: id < REQUESTS / 2 ? 0 : 1,
      engine: id % 2 === 0 ? { ttftMs: 30 + (id % 13), tpotMs: 19, promptMs: 10, generationMs: 133 } : null,
    },
  });
}

/** requests.jsonl written in slices, so the test's own peak stays small before the report is built. */
async function writeRequestLog(path: string): Promise<void> {
  const out = createWriteStream(path);
  for (let from = 0; from < REQUESTS; from += 5000) {
    let slice = '';
    for (let id = from; id < Math.min(REQUESTS, from + 5000); id++)
      slice += `${serializeRecord(syntheticRecord(id))}\n`;
    if (!out.write(slice)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

const chartsOf = (html: string): ChartSpec[] =>
  JSON.parse(/<script type="application\/json" id="kitt-report-data">(.*?)<\/script>/s.exec(html)![1]!) as ChartSpec[];

test(`a report of ${REQUESTS} requests streams requests.jsonl in bounded memory and keeps its charts within the caps`, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-big-report-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'metrics.json'), JSON.stringify({ runId: 'BIG', crossCheck: null, warnings: [] }));
  await writeRequestLog(join(dir, 'requests.jsonl'));
  const logMiB = statSync(join(dir, 'requests.jsonl')).size / MiB;

  // maxRSS is the process's peak so far (KiB): its growth is the report's peak over all that came before
  const peakRssBefore = process.resourceUsage().maxRSS * 1024;
  const heapBefore = process.memoryUsage().heapUsed;
  let peakHeap = heapBefore;
  const sampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 5);
  const started = performance.now();
  const path = await writeReport(dir);
  clearInterval(sampler);
  const rssGrowthMiB = (process.resourceUsage().maxRSS * 1024 - peakRssBefore) / MiB;
  const heapGrowthMiB = (peakHeap - heapBefore) / MiB;
  t.diagnostic(
    `requests.jsonl ${logMiB.toFixed(0)} MiB; writeReport ${((performance.now() - started) / 1000).toFixed(1)} s, ` +
      `peak RSS growth ${rssGrowthMiB.toFixed(0)} MiB, peak sampled heap growth ${heapGrowthMiB.toFixed(0)} MiB`,
  );
  // reading the file whole and parsing every record, as the report did, grew it by 381 MiB here
  // before drawing anything
  assert.ok(rssGrowthMiB < 250, `peak RSS grew ${rssGrowthMiB.toFixed(0)} MiB while writing the report`);
  assert.ok(heapGrowthMiB < 200, `heap grew ${heapGrowthMiB.toFixed(0)} MiB while writing the report`);

  const charts = new Map(chartsOf(readFileSync(path, 'utf8')).map((c) => [c.id, c]));
  for (const chart of charts.values()) {
    for (const column of chart.data)
      assert.ok(column.length <= MAX_REQUEST_POINTS + 1, `${chart.id}: ${column.length} points`);
  }
  for (const id of ['ttft-cdf', 'itl-cdf', 'e2e-cdf']) assert.ok(charts.get(id)!.data[0]!.length <= MAX_POINTS + 1, id);
  const latency = charts.get('latency-over-time')!;
  assert.match(latency.note, new RegExp(`every ${Math.ceil(REQUESTS / MAX_REQUEST_POINTS)}th of ${REQUESTS} requests`));
  assert.equal(latency.data[0]!.at(-1), ((REQUESTS - 1) * 2) / 1000, 'the last request is kept');
  assert.match(charts.get('engine-cross-check')!.note, new RegExp(`of ${REQUESTS / 2} requests`));
  assert.equal(charts.get('sweep-latency-vs-rate')!.data[0]!.length, 2, 'one point per level');
  const itl = charts.get('itl-cdf')!;
  assert.match(itl.note, new RegExp(`uniform sample of ${MAX_EXACT_INTERVALS} of the ${REQUESTS * 7} intervals`));
  assert.equal(itl.data[1]!.at(-1), 100);
  const histogram = charts.get('itl-histogram')!.data[1]! as number[];
  const tokens = histogram.reduce((sum, n) => sum + n, 0);
  assert.ok(
    Math.abs(tokens - REQUESTS * 7) < REQUESTS * 7 * 1e-3,
    `the sampled histogram stands for all ${REQUESTS * 7} tokens, not ${tokens}`,
  );
  assert.match(
    charts.get('ttft-cdf')!.note,
    /^Share of succeeded measured requests at or below each latency\.$/,
    'TTFT is exact',
  );
});
