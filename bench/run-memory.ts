/**
 * Does kitt's memory stay bounded over a long run? Runs the load against the exact-schedule server
 * (its own process, loopback, one token per answer, no delay) the way `kitt run` does: every record
 * goes to the run's accumulator and to requests.jsonl (appended every second) as it completes.
 * Prints kitt's resident set size (RSS, sampled every 100 ms) after 10k, 100k and 1M requests, and
 * the records still held in memory by the load runner.
 *
 * Usage: node --import tsx bench/run-memory.ts [--up-to 1000000] [--concurrency 64] [--max-seconds 900]
 * A size that would pass --max-seconds at the measured rate is skipped and the reason printed.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openRequestLog } from '../src/export/result-dir.js';
import { parseLoadSpec } from '../src/load/load-spec.js';
import type { LoadTarget } from '../src/load/load-target.js';
import { runLoad } from '../src/load/run-load.js';
import { RunAccumulator } from '../src/metrics/run-accumulator.js';
import { spawnExactScheduleServer } from '../src/testing/spawn-exact-schedule-server.js';

const { values } = parseArgs({
  options: {
    'up-to': { type: 'string', default: '1000000' },
    concurrency: { type: 'string', default: '64' },
    'max-seconds': { type: 'string', default: '900' },
  },
});
const upTo = Number(values['up-to']);
const concurrency = Number(values.concurrency);
const maxSeconds = Number(values['max-seconds']);
const SIZES = [10_000, 100_000, 1_000_000].filter((n) => n <= upTo);
const MiB = 1024 * 1024;

const server = await spawnExactScheduleServer(['--ttft-ms', '0', '--itl-ms', '0', '--output-tokens', '1']);
const target: LoadTarget = {
  baseUrl: server.url,
  api: 'openai-completions',
  model: 'bench',
  supports: { ignoreEos: true, tokenize: false, usage: 'final' },
  metricsPath: null,
};

let rate = Number.NaN;
try {
  console.log(`run memory: fixed-concurrency ${concurrency}, 1-token answers, Node ${process.version}`);
  console.log(`baseline RSS ${(process.memoryUsage().rss / MiB).toFixed(0)} MiB`);
  for (const requests of SIZES) {
    if (Number.isFinite(rate) && requests / rate > maxSeconds) {
      console.log(
        `${requests} requests: skipped, ~${Math.round(requests / rate)} s at ${Math.round(rate)} req/s is over --max-seconds ${maxSeconds}`,
      );
      continue;
    }
    const dir = mkdtempSync(join(tmpdir(), 'kitt-run-memory-'));
    try {
      global.gc?.();
      const accumulator = new RunAccumulator();
      const log = await openRequestLog(dir, performance.now());
      let peak = 0;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 100);
      const started = performance.now();
      const spec = parseLoadSpec({
        kind: 'fixed-concurrency',
        concurrency,
        requests,
        prompts: { kind: 'synthetic', inputTokens: 8, outputTokens: 1, cacheBust: false },
      });
      const result = await runLoad(spec, target, {
        onRecord: (record) => {
          accumulator.add(record);
          log.append(record);
        },
      });
      await log.close();
      clearInterval(sampler);
      const seconds = (performance.now() - started) / 1000;
      rate = requests / seconds;
      const metrics = accumulator.summarize(result.window ?? undefined);
      const fileMiB = statSync(join(dir, 'requests.jsonl')).size / MiB;
      console.log(
        `${requests} requests: peak RSS ${(peak / MiB).toFixed(0)} MiB, ${Math.round(rate)} req/s, ${seconds.toFixed(0)} s, ` +
          `${metrics.requests.succeeded} succeeded, requests.jsonl ${fileMiB.toFixed(0)} MiB (${log.written} lines), ` +
          `records held by the load runner: ${result.records.length}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
} finally {
  await server.close();
}
