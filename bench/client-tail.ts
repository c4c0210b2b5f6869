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
 *   [--no-floor] [--stamps event-loop] [--json out.json]
 *
 * Beside each row, the runtime's floor: a bare node:net reader against the same server, speaking
 * just enough HTTP/1.1 to keep its streams going and stamping every socket read, nothing parsed,
 * nothing kept but the stamps. kitt cannot stamp sooner than Node hands it the bytes, so the
 * floor says how much of kitt's error is kitt's own.
 */
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { cpus } from 'node:os';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { request } from 'undici';
import type { LoadTarget } from '../src/load/load-target.js';
import type { RequestRecord } from '../src/metrics/request-record.js';
import { spawnExactScheduleServer } from '../src/testing/spawn-exact-schedule-server.js';

const dist = '../dist/load';
const { parseLoadSpec } = (await import(`${dist}/load-spec.js`)) as typeof import('../src/load/load-spec.js');
const { runLoad } = (await import(`${dist}/run-load.js`)) as typeof import('../src/load/run-load.js');
const { quantileSorted } = (await import(`${dist}/self-check.js`)) as typeof import('../src/load/self-check.js');

/** --stamps event-loop: kitt stamping on its event loop (default: at the socket, where built). */
const STAMPS = flag('--stamps') === undefined ? {} : { stamps: flag('--stamps') };

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
  /** kitt's rows: where it stamped, and how late its loop read what the socket had stamped (p99, ms). */
  stamps?: { source: string; socketStamped: number; readLagP99Ms: number | null };
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

/** The exact-schedule server in the bench's shape, logging every receipt and write. */
function scheduleServer() {
  return spawnExactScheduleServer([
    '--ttft-ms',
    String(TTFT_MS),
    '--itl-ms',
    String(ITL_MS),
    '--no-role-chunk',
    '--log',
  ]);
}

async function tailAt(
  streams: number,
  workers: number,
  seconds: number,
  startSpreadS: number | undefined,
): Promise<TailRow> {
  const server = await scheduleServer();
  try {
    const tag = `tail${streams}`;
    const spec = parseLoadSpec({
      ...STAMPS,
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
    const { requests, events, ttftErrors, itlErrors } = score(measured, writes, received);
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
      stamps: {
        source: result.selfCheck.stamps,
        socketStamped: result.selfCheck.socketStamped,
        readLagP99Ms: result.selfCheck.readLagP99Ms,
      },
    };
  } finally {
    await server.close();
  }
}

interface Stamps {
  sentAtMs: number;
  arrivals: number[];
}

/** One keep-alive connection that sends the next request as soon as the last answer ends. */
function bareStream(url: URL, tag: string, untilMs: number, done: Map<string, Stamps>): Promise<void> {
  const body = JSON.stringify({
    model: 'bench',
    stream: true,
    max_tokens: TOKENS,
    messages: [{ role: 'user', content: 'a b c d e f g h i j k l m n o p' }],
  });
  let next = 0;
  let current: { key: string; stamps: Stamps } | undefined;
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(Number(url.port), url.hostname);
    socket.setNoDelay(true);
    const send = () => {
      if (performance.now() >= untilMs) {
        socket.end();
        return;
      }
      const key = `${tag}-${next++}`;
      current = { key, stamps: { sentAtMs: performance.now(), arrivals: [] } };
      socket.write(
        `POST /v1/chat/completions HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\n` +
          `x-request-id: ${key}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    };
    socket.on('connect', send);
    socket.on('data', (chunk: Buffer) => {
      const atMs = performance.now();
      if (!current) return;
      // one server write per token: a read holding several tokens stamps each of them at its time
      for (let at = chunk.indexOf('"content"'); at !== -1; at = chunk.indexOf('"content"', at + 1))
        current.stamps.arrivals.push(atMs);
      if (chunk.includes('\r\n0\r\n\r\n')) {
        done.set(current.key, current.stamps);
        current = undefined;
        send();
      }
    });
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
}

/** The floor: bare readers at the same streams, scored against the server's log as kitt is. */
async function floorAt(streams: number, seconds: number): Promise<TailRow> {
  const server = await scheduleServer();
  try {
    const url = new URL(server.url);
    const warm = new Map<string, Stamps>();
    const measured = new Map<string, Stamps>();
    const cpu = process.cpuUsage();
    const gcDone = watchGc();
    const start = performance.now();
    await Promise.all(
      Array.from({ length: streams }, (_, i) =>
        bareStream(url, `floor${streams}w-${i}`, start + 1000, warm).then(() =>
          bareStream(url, `floor${streams}-${i}`, start + 1000 + seconds * 1000, measured),
        ),
      ),
    );
    const gc = gcDone();
    const used = process.cpuUsage(cpu);
    const windowS = (performance.now() - start - 1000) / 1000; // the measured part, after the warm second
    const writes = (await (await request(`${server.url}/_log`)).body.json()) as Record<string, number[]>;
    const received = (await (await request(`${server.url}/_received`)).body.json()) as Record<string, number>;
    const scored = score(
      [...measured].map(([key, r]) => [
        key,
        {
          sentAtMs: r.sentAtMs,
          firstMs: (r.arrivals[0] ?? Number.NaN) - r.sentAtMs,
          arrivals: Float64Array.from(r.arrivals),
        },
      ]),
      writes,
      received,
    );
    const allEvents = [...warm.values(), ...measured.values()].reduce((n, r) => n + r.arrivals.length, 0);
    const cpuSeconds = (used.user + used.system) / 1e6;
    return {
      streams,
      workers: 1,
      requests: scored.requests,
      eventsPerS: scored.events / windowS,
      eventsPerCpuS: allEvents / cpuSeconds,
      cpuSeconds,
      ttft: spread(scored.ttftErrors),
      itl: spread(scored.itlErrors),
      gc,
    };
  } finally {
    await server.close();
  }
}

/** TTFT and ITL errors of each measured request whose token count matches the server's log. */
function score(
  measured: Iterable<[string, { sentAtMs: number; firstMs: number; arrivals: Float64Array }]>,
  writes: Record<string, number[]>,
  received: Record<string, number>,
): { requests: number; events: number; ttftErrors: number[]; itlErrors: number[] } {
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
  return { requests, events, ttftErrors, itlErrors };
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
const withFloor = !process.argv.includes('--no-floor');
const rows: TailRow[] = [];
const floors: TailRow[] = [];
for (const streams of streamCounts) {
  rows.push(await tailAt(streams, workers, seconds, startSpreadS));
  if (withFloor) floors.push(await floorAt(streams, seconds));
}

const ms = (v: number) => v.toFixed(3).padStart(7);
console.log(
  `kitt client tail — Node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, loopback, ` +
    `${TOKENS} tokens at ${ITL_MS} ms ITL after ${TTFT_MS} ms TTFT, ${workers} worker${workers === 1 ? '' : 's'}, ` +
    `start spread ${startSpreadS === undefined ? 'default' : `${startSpreadS} s`}`,
);
console.log(
  'streams  requests  events/s  events/CPU-s  CPU-s   TTFT err p50     p99     max   ITL err p50     p99     max   GC n  max ms  major  max ms  goals',
);
const printRow = (row: TailRow, goals: string) =>
  console.log(
    `${String(row.streams).padStart(7)}  ${String(row.requests).padStart(8)}  ${row.eventsPerS.toFixed(0).padStart(8)}  ` +
      `${row.eventsPerCpuS.toFixed(0).padStart(12)}  ${row.cpuSeconds.toFixed(2).padStart(5)}  ` +
      `${ms(row.ttft.p50)} ${ms(row.ttft.p99)} ${ms(row.ttft.max)}  ` +
      `${ms(row.itl.p50)} ${ms(row.itl.p99)} ${ms(row.itl.max)}  ${String(row.gc.count).padStart(5)} ${ms(row.gc.maxMs)}  ${String(row.gc.major).padStart(5)} ${ms(row.gc.majorMaxMs)}  ${goals}`,
  );
for (const row of rows) printRow(row, goalText(row));
for (const row of rows) {
  const { stamps } = row;
  if (!stamps) continue;
  console.log(
    `  ${row.streams} streams: kitt stamped at the ${stamps.source}` +
      (stamps.readLagP99Ms === null
        ? ''
        : `; its loop read ${stamps.socketStamped} chunks after the socket had them, p99 ${stamps.readLagP99Ms.toFixed(2)} ms later`),
  );
}
if (floors.length > 0) {
  console.log('the runtime floor: a bare node:net reader, same server and scoring, nothing parsed');
  for (const row of floors) printRow(row, '');
}
for (const row of rows) {
  const anchor = ANCHORS[row.streams];
  if (anchor)
    console.log(
      `published TTFT error at ${row.streams} streams: ${anchor}; kitt p50 ${row.ttft.p50.toFixed(2)} ms, p99 ${row.ttft.p99.toFixed(2)} ms`,
    );
}
const out = flag('--json');
if (out) writeFileSync(out, `${JSON.stringify({ kitt: rows, floor: floors }, null, 2)}\n`);
