/**
 * The client's tail: how far kitt's measured TTFT and ITL are from what the server really did.
 * Against the exact-schedule server in its own process (loopback), at 10, 50, 100 and 200 streams
 * of 64 tokens, 50 ms TTFT and 10 ms ITL (the shape of vllm-bench's published overhead runs):
 *
 *   TTFT error = |(first token stamped − sent) − (server's first write − server's receipt)|
 *   ITL error  = |client's gap between two tokens − the server's gap between writing them|
 *
 * Both compare differences on one clock each (the client's, the server's), so no cross-process
 * clock is needed. Also printed: client CPU-seconds and token events per client CPU-second.
 *
 * Measures the compiled build (dist/, what `kitt` runs).
 * Usage: cd bench && npm run bench:client-tail [-- --streams 10,100] [--workers 2] [--start-spread 0] [--seconds 6]
 *   [--json out.json]
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { request } from 'undici';
import type { LoadTarget } from '../src/load/load-target.js';
import type { RequestRecord } from '../src/metrics/request-record.js';
import { spawnExactScheduleServer } from '../src/testing/spawn-exact-schedule-server.js';

const dist = '../dist/load';
const { parseLoadSpec } = (await import(`${dist}/load-spec.js`)) as typeof import('../src/load/load-spec.js');
const { runLoad } = (await import(`${dist}/run-load.js`)) as typeof import('../src/load/run-load.js');
const { quantileSorted } = (await import(`${dist}/self-check.js`)) as typeof import('../src/load/self-check.js');

const TOKENS = 64;
const TTFT_MS = 50;
const ITL_MS = 10;

/** Goals of the issue, by streams: ITL error p99 and TTFT error p99, ms. */
const GOALS: Record<number, { itlP99?: number; ttftP99?: number }> = {
  10: { itlP99: 0.5 },
  100: { itlP99: 1, ttftP99: 5 },
};

/** vllm-bench's bench-overhead README, same mock shape, 4-core VM: TTFT error by streams, ms. */
const ANCHORS: Record<number, string> = {
  100: 'Rust client 3.5 ms, Python asyncio 23 ms (4-core VM)',
};

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at === -1 ? undefined : process.argv[at + 1];
}

interface TailRow {
  streams: number;
  workers: number;
  requests: number;
  eventsPerS: number;
  eventsPerCpuS: number;
  cpuSeconds: number;
  ttft: { p50: number; p99: number; max: number };
  itl: { p50: number; p99: number; max: number };
  /** This thread's garbage-collection pauses during the run: how many, their total and the longest, ms. */
  gc: { count: number; totalMs: number; maxMs: number; major: number; majorMaxMs: number };
}

/** perf_hooks' constants.NODE_PERFORMANCE_GC_MAJOR: a mark-compact of the whole heap. */
const GC_MAJOR = 4;

/** Watches this thread's GC pauses until the returned function is called. */
function watchGc(): () => TailRow['gc'] {
  const gc = { count: 0, totalMs: 0, maxMs: 0, major: 0, majorMaxMs: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.count++;
      gc.totalMs += entry.duration;
      gc.maxMs = Math.max(gc.maxMs, entry.duration);
      if ((entry as { detail?: { kind?: number } }).detail?.kind === GC_MAJOR) {
        gc.major++;
        gc.majorMaxMs = Math.max(gc.majorMaxMs, entry.duration);
      }
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => {
    observer.disconnect();
    return gc;
  };
}

function spread(errors: number[]): { p50: number; p99: number; max: number } {
  errors.sort((a, b) => a - b);
  return { p50: quantileSorted(errors, 0.5), p99: quantileSorted(errors, 0.99), max: errors.at(-1) ?? Number.NaN };
}

async function tailAt(
  streams: number,
  workers: number,
  seconds: number,
  startSpreadS: number | undefined,
): Promise<TailRow> {
  const server = await spawnExactScheduleServer([
    '--ttft-ms',
    String(TTFT_MS),
    '--itl-ms',
    String(ITL_MS),
    '--no-role-chunk',
    '--log',
  ]);
  try {
    const tag = `tail${streams}`;
    const spec = parseLoadSpec({
      kind: 'fixed-concurrency',
      concurrency: streams,
      durationS: seconds,
      warmup: { durationS: 1 },
      workers,
      ...(startSpreadS === undefined ? {} : { startSpreadS }),
      prompts: { kind: 'synthetic', inputTokens: 16, outputTokens: TOKENS, cacheBust: false },
    });
    const target: LoadTarget = {
      baseUrl: server.url,
      api: 'openai-chat',
      model: 'bench',
      supports: { ignoreEos: true, tokenize: false, usage: 'final' },
      metricsPath: null,
    };
    // As `kitt run` does, records are not kept: each measured one leaves only its stamps (a typed
    // array), so the heap the collector walks is the client's own, not the bench's.
    const measured = new Map<string, { sentAtMs: number; firstMs: number; arrivals: Float64Array }>();
    let allEvents = 0;
    const onRecord = (r: RequestRecord) => {
      allEvents += r.arrivals.length;
      if (r.phase !== 'measure' || r.error || r.sentAtMs === null || r.firstContentAtMs === null) return;
      measured.set(`${tag}-${r.id}`, {
        sentAtMs: r.sentAtMs,
        firstMs: firstTokenMs(r),
        arrivals: Float64Array.from(r.arrivals, (a) => a.atMs),
      });
    };
    const cpu = process.cpuUsage();
    const gcDone = watchGc();
    const result = await runLoad(spec, target, { requestTag: tag, onRecord });
    const gc = gcDone();
    const used = process.cpuUsage(cpu);
    const writes = (await (await request(`${server.url}/_log`)).body.json()) as Record<string, number[]>;
    const received = (await (await request(`${server.url}/_received`)).body.json()) as Record<string, number>;
    const ttftErrors: number[] = [];
    const itlErrors: number[] = [];
    let events = 0;
    let requests = 0;
    for (const [key, r] of measured) {
      const log = writes[key];
      const at = received[key];
      if (!log || at === undefined || log.length !== r.arrivals.length) continue;
      requests++;
      events += r.arrivals.length;
      ttftErrors.push(Math.abs(r.firstMs - (log[0]! - at)));
      for (let i = 1; i < log.length; i++) {
        itlErrors.push(Math.abs(r.arrivals[i]! - r.arrivals[i - 1]! - (log[i]! - log[i - 1]!)));
      }
    }
    const cpuSeconds = (used.user + used.system) / 1e6;
    const windowS = (result.window!.endMs - result.window!.startMs) / 1000;
    return {
      streams,
      workers,
      requests,
      eventsPerS: events / windowS,
      // the whole run's events over the whole run's CPU, warmup included in both
      eventsPerCpuS: allEvents / cpuSeconds,
      cpuSeconds,
      ttft: spread(ttftErrors),
      itl: spread(itlErrors),
      gc,
    };
  } finally {
    await server.close();
  }
}

function firstTokenMs(record: RequestRecord): number {
  return record.firstContentAtMs! - record.sentAtMs!;
}

function goalText(row: TailRow): string {
  const goal = GOALS[row.streams];
  if (!goal) return '';
  const parts: string[] = [];
  if (goal.itlP99 !== undefined)
    parts.push(`ITL p99 < ${goal.itlP99}: ${row.itl.p99 < goal.itlP99 ? 'met' : 'MISSED'}`);
  if (goal.ttftP99 !== undefined)
    parts.push(`TTFT p99 < ${goal.ttftP99}: ${row.ttft.p99 < goal.ttftP99 ? 'met' : 'MISSED'}`);
  return parts.join(', ');
}

const streamCounts = (flag('--streams') ?? '10,50,100,200').split(',').map(Number);
const workers = Number(flag('--workers') ?? '1');
const seconds = Number(flag('--seconds') ?? '6');
const spreadFlag = flag('--start-spread');
const startSpreadS = spreadFlag === undefined ? undefined : Number(spreadFlag);
const rows: TailRow[] = [];
for (const streams of streamCounts) rows.push(await tailAt(streams, workers, seconds, startSpreadS));

const ms = (v: number) => v.toFixed(3).padStart(7);
console.log(
  `kitt client tail — Node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, loopback, ` +
    `${TOKENS} tokens at ${ITL_MS} ms ITL after ${TTFT_MS} ms TTFT, ${workers} worker${workers === 1 ? '' : 's'}, ` +
    `start spread ${startSpreadS === undefined ? 'default' : `${startSpreadS} s`}`,
);
console.log(
  'streams  requests  events/s  events/CPU-s  CPU-s   TTFT err p50     p99     max   ITL err p50     p99     max   GC n  max ms  major  max ms  goals',
);
for (const row of rows) {
  console.log(
    `${String(row.streams).padStart(7)}  ${String(row.requests).padStart(8)}  ${row.eventsPerS.toFixed(0).padStart(8)}  ` +
      `${row.eventsPerCpuS.toFixed(0).padStart(12)}  ${row.cpuSeconds.toFixed(2).padStart(5)}  ` +
      `${ms(row.ttft.p50)} ${ms(row.ttft.p99)} ${ms(row.ttft.max)}  ` +
      `${ms(row.itl.p50)} ${ms(row.itl.p99)} ${ms(row.itl.max)}  ${String(row.gc.count).padStart(5)} ${ms(row.gc.maxMs)}  ${String(row.gc.major).padStart(5)} ${ms(row.gc.majorMaxMs)}  ${goalText(row)}`,
  );
}
for (const row of rows) {
  const anchor = ANCHORS[row.streams];
  if (anchor)
    console.log(
      `published TTFT error at ${row.streams} streams: ${anchor}; kitt p50 ${row.ttft.p50.toFixed(2)} ms, p99 ${row.ttft.p99.toFixed(2)} ms`,
    );
}
const out = flag('--json');
if (out) writeFileSync(out, `${JSON.stringify(rows, null, 2)}\n`);
