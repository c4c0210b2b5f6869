/**
 * Does kitt's memory stay bounded over a long run? One run of --up-to requests against the
 * exact-schedule server (its own process, loopback, one token per answer, no delay), with every
 * record going where `kitt run` sends it as it completes: the run's accumulator, requests.jsonl
 * (appended every second), the per-stage and cross-check accumulators and the self-check's
 * figures (src/app/run/record-sinks.ts), then the stages table and requests.csv (read back from
 * requests.jsonl) and report.html (streamed from it too) at the end. Prints kitt's resident set size (RSS), heap in use and array buffers
 * (the accumulators' typed arrays), after a full GC when run with --expose-gc, as the run passes 10k, 100k and 1M requests, the peak RSS (sampled
 * every 100 ms), and the rate. 1-token answers with no delay make a million requests take minutes.
 *
 * Usage: node --expose-gc --import tsx bench/run-memory.ts [--up-to 1000000] [--concurrency 64]
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openRecordSinks, sinkRecord } from '../src/app/run/record-sinks.js';
import { stageInputs } from '../src/app/run/stage-inputs.js';
import { anchorWallClock, monotonicClock } from '../src/core/clock.js';
import { writeReport } from '../src/export/report/write-report.js';
import { readRequestLog } from '../src/export/request-log-reader.js';
import { writeRunCsv } from '../src/export/run-csv.js';
import { parseLoadSpec } from '../src/load/load-spec.js';
import type { LoadTarget } from '../src/load/load-target.js';
import { runLoad } from '../src/load/run-load.js';
import { summarizeStageFigures } from '../src/metrics/summarize-stages.js';
import { spawnExactScheduleServer } from '../src/testing/spawn-exact-schedule-server.js';

const { values } = parseArgs({
  options: {
    'up-to': { type: 'string', default: '1000000' },
    concurrency: { type: 'string', default: '64' },
  },
});
const upTo = Number(values['up-to']);
const concurrency = Number(values.concurrency);
const MILESTONES = [10_000, 100_000, 1_000_000].filter((n) => n <= upTo);
const MiB = 1024 * 1024;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;

const server = await spawnExactScheduleServer(['--ttft-ms', '0', '--itl-ms', '0', '--output-tokens', '1']);
const target: LoadTarget = {
  baseUrl: server.url,
  api: 'openai-completions',
  model: 'bench',
  supports: { ignoreEos: true, tokenize: false, usage: 'final' },
  metricsPath: null,
};
const dir = mkdtempSync(join(tmpdir(), 'kitt-run-memory-'));
try {
  const gc = (globalThis as { gc?: () => void }).gc;
  console.log(
    `run memory: fixed-concurrency ${concurrency}, ${upTo} requests, 1-token answers, Node ${process.version}${gc ? '' : ' (no --expose-gc: heap figures include garbage)'}`,
  );
  gc?.();
  const baseline = process.memoryUsage();
  console.log(`baseline: RSS ${mib(baseline.rss)}, heap used ${mib(baseline.heapUsed)}`);
  const spec = parseLoadSpec({
    kind: 'fixed-concurrency',
    concurrency,
    requests: upTo,
    prompts: { kind: 'synthetic', inputTokens: 8, outputTokens: 1, cacheBust: false },
  });
  const sinks = await openRecordSinks(dir, spec, {}, anchorWallClock(monotonicClock));
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);
  const started = performance.now();
  let seen = 0;
  const result = await runLoad(spec, target, {
    onMeasureStart: (stage, atMs) => sinks.stages.measureStarted(stage, atMs),
    onRecord: (record) => {
      sinkRecord(sinks, record);
      seen++;
      if (!MILESTONES.includes(seen)) return;
      gc?.();
      const usage = process.memoryUsage();
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `${seen} requests: RSS ${mib(usage.rss)}, heap used ${mib(usage.heapUsed)}, array buffers ${mib(usage.arrayBuffers)}, peak RSS so far ${mib(Math.max(peak, usage.rss))}, ${seconds.toFixed(0)} s (${Math.round(seen / seconds)} req/s)`,
      );
    },
  });
  const seconds = (performance.now() - started) / 1000;
  // what kitt run does at the end: the summary, the stages table, the cross-check, requests.csv
  await sinks.log.close();
  const metrics = sinks.accumulator.summarize(result.window ?? undefined);
  const stages = summarizeStageFigures(sinks.stages, stageInputs(result));
  sinks.crossCheck.result();
  await writeRunCsv(dir, { records: readRequestLog(join(dir, 'requests.jsonl')), stages: stages.stages });
  clearInterval(sampler);
  gc?.();
  const end = process.memoryUsage();
  const size = (name: string) => mib(statSync(join(dir, name)).size);
  console.log(
    `done: ${metrics.requests.succeeded} succeeded in ${seconds.toFixed(0)} s (${Math.round(upTo / seconds)} req/s); ` +
      `after summaries and requests.csv: RSS ${mib(end.rss)}, heap used ${mib(end.heapUsed)}, array buffers ${mib(end.arrayBuffers)}, peak RSS ${mib(peak)}; ` +
      `requests.jsonl ${size('requests.jsonl')} (${sinks.log.written} lines), requests.csv ${size('requests.csv')}, ` +
      `records kept by the load runner: ${result.records?.length ?? 0}`,
  );
  // what kitt run does last: report.html, read back from requests.jsonl as a stream
  writeFileSync(join(dir, 'metrics.json'), JSON.stringify({ runId: 'bench', metrics }));
  let reportPeak = process.memoryUsage().rss;
  const reportSampler = setInterval(() => {
    reportPeak = Math.max(reportPeak, process.memoryUsage().rss);
  }, 100);
  const reportStarted = performance.now();
  await writeReport(dir);
  clearInterval(reportSampler);
  reportPeak = Math.max(reportPeak, process.memoryUsage().rss);
  console.log(
    `writeReport: ${((performance.now() - reportStarted) / 1000).toFixed(1)} s, peak RSS ${mib(reportPeak)} (from ${mib(end.rss)}), report.html ${size('report.html')}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
  await server.close();
}
