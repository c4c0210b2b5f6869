/**
 * How fast and how exact is kitt's load client? Measured in one run against the exact-schedule
 * server in its own process (loopback):
 *
 *   1. SSE events per client CPU-second (one event per token, 256 streams)
 *   2. pacing lateness p50/p99 at 1k and 5k requests/s (sentAt − scheduledAt, open loop)
 *   3. RSS at 1,000 concurrent streams
 *
 * The TTFT and ITL error against the server's write log, at 10–200 streams: bench/client-tail.ts.
 *
 * Measures the compiled build (dist/, what `kitt` runs); `npm run bench` builds it first.
 *
 * Usage: cd bench && npm run bench   (or: node --import tsx bench/load-client.ts [--only events,pacing,rss] [--stamps event-loop] [--json out.json])
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Agent, type Dispatcher } from 'undici';
import type { LoadTarget } from '../src/load/load-target.js';
import { spawnExactScheduleServer } from '../src/testing/spawn-exact-schedule-server.js';

interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: { readonly op: '>=' | '<'; readonly value: number };
}

// The compiled build, as `kitt` runs it (under tsx every closure pays for esbuild's keepNames),
// typed by its sources.
const dist = '../dist/load';
const { parseLoadSpec } = (await import(`${dist}/load-spec.js`)) as typeof import('../src/load/load-spec.js');
const { runLoad } = (await import(`${dist}/run-load.js`)) as typeof import('../src/load/run-load.js');
/** --stamps event-loop measures the client stamping on its event loop (default: at the socket, where built). */
const stampsAt = process.argv.indexOf('--stamps');
const STAMPS = stampsAt === -1 ? {} : { stamps: process.argv[stampsAt + 1] };

const figures: Figure[] = [];
const quiet = { ignoreEos: true, tokenize: false, usage: 'final' } as const;
const prompts = { kind: 'synthetic', inputTokens: 16, outputTokens: 1, cacheBust: false } as const;

function target(url: string, api: LoadTarget['api'] = 'openai-chat'): LoadTarget {
  return { baseUrl: url, api, model: 'bench', supports: quiet, metricsPath: null };
}

const ROUNDS = 3;

/** What the paired rounds send: streams at once, tokens per answer, seconds per round. */
interface Shape {
  readonly streams: number;
  readonly tokens: number;
  readonly seconds: number;
}

/** kitt's client at fixed concurrency. Returns [requests, SSE events, CPU seconds]. */
async function kittRound(url: string, shape: Shape): Promise<[number, number, number]> {
  const spec = parseLoadSpec({
    ...STAMPS,
    kind: 'fixed-concurrency',
    concurrency: shape.streams,
    durationS: shape.seconds,
    prompts: { ...prompts, outputTokens: shape.tokens },
  });
  const cpu = process.cpuUsage();
  const result = await runLoad(spec, target(url), { keepRecords: true });
  const used = process.cpuUsage(cpu);
  const events = result.records.reduce((n, r) => n + r.arrivals.length, 0);
  return [result.records.length, events, (used.user + used.system) / 1e6];
}

/**
 * The floor under any undici client: the same streams through a handler that only counts chunks.
 * Its figure moves with the host as much as kitt's, so each kitt round is paired with one of these.
 */
async function undiciFloorRound(url: string, shape: Shape): Promise<[number, number, number]> {
  const agent = new Agent({ connections: shape.streams });
  const { origin } = new URL(url);
  const body = JSON.stringify({
    model: 'bench',
    messages: [{ role: 'user', content: 'the of and to in is was for on are as with his they at be' }],
    max_tokens: shape.tokens,
    stream: true,
    stream_options: { include_usage: true },
    ignore_eos: true,
  });
  let requests = 0;
  let chunks = 0;
  const once = () =>
    new Promise<void>((resolve) => {
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart: () => undefined, // marks the handler as the new (controller) kind, as kitt's is
        onResponseData: () => {
          chunks++;
        },
        onResponseEnd: () => {
          requests++;
          resolve();
        },
        onResponseError: () => resolve(),
      };
      agent.dispatch(
        { origin, path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body },
        handler,
      );
    });
  const deadline = performance.now() + shape.seconds * 1000;
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: shape.streams }, async () => {
      while (performance.now() < deadline) await once();
    }),
  );
  const used = process.cpuUsage(cpu);
  await agent.close();
  // Token events only: the usage chunk and [DONE] of each answer are not tokens.
  return [requests, Math.min(chunks, requests * shape.tokens), (used.user + used.system) / 1e6];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Rounds of undici's floor and kitt, alternated; `per` picks what is counted per CPU-second. */
async function pairedRounds(
  shape: Shape,
  per: 'events' | 'requests',
): Promise<{ kitt: number; floor: number; ratio: number }> {
  const server = await spawnExactScheduleServer([
    '--ttft-ms',
    '5',
    '--itl-ms',
    shape.tokens > 1 ? '10' : '0',
    '--no-role-chunk',
  ]);
  try {
    const kitt: number[] = [];
    const floor: number[] = [];
    const ratios: number[] = [];
    const rate = ([requests, events, cpuS]: [number, number, number]) => (per === 'events' ? events : requests) / cpuS;
    for (let round = 0; round < ROUNDS; round++) {
      floor.push(rate(await undiciFloorRound(server.url, shape)));
      kitt.push(rate(await kittRound(server.url, shape)));
      ratios.push(kitt.at(-1)! / floor.at(-1)!);
    }
    return { kitt: median(kitt), floor: median(floor), ratio: median(ratios) };
  } finally {
    await server.close();
  }
}

async function eventsPerCpuSecond(): Promise<void> {
  const events = await pairedRounds({ streams: 256, tokens: 100, seconds: 5 }, 'events');
  figures.push({
    name: `SSE events per client CPU-second (median of ${ROUNDS})`,
    value: events.kitt,
    unit: 'events/CPU-s',
    target: { op: '>=', value: 40_000 },
  });
  figures.push({ name: '  undici, handler that only counts (median)', value: events.floor, unit: 'events/CPU-s' });
  figures.push({ name: '  kitt / that floor, paired rounds (median)', value: events.ratio, unit: 'ratio' });
  const requests = await pairedRounds({ streams: 32, tokens: 1, seconds: 3 }, 'requests');
  figures.push({
    name: `1-token requests per client CPU-second (median)`,
    value: requests.kitt,
    unit: 'requests/CPU-s',
  });
  figures.push({ name: '  undici, handler that only counts (median)', value: requests.floor, unit: 'requests/CPU-s' });
  figures.push({ name: '  kitt / that floor, paired rounds (median)', value: requests.ratio, unit: 'ratio' });
}

async function pacing(rate: number, withTarget: boolean): Promise<void> {
  const server = await spawnExactScheduleServer(['--ttft-ms', '0', '--itl-ms', '0', '--no-role-chunk']);
  try {
    const spec = parseLoadSpec({
      ...STAMPS,
      kind: 'constant-rate',
      rate,
      requests: rate * 3,
      warmup: { requests: Math.min(500, rate) },
      prompts,
    });
    const result = await runLoad(spec, target(server.url, 'openai-completions'), { keepRecords: true });
    figures.push({
      name: `pacing lateness p50 at ${rate} req/s`,
      value: result.selfCheck.sendLatenessP50Ms ?? Number.NaN,
      unit: 'ms',
    });
    figures.push({
      name: `pacing lateness p99 at ${rate} req/s`,
      value: result.selfCheck.sendLatenessP99Ms ?? Number.NaN,
      unit: 'ms',
      ...(withTarget ? { target: { op: '<' as const, value: 1 } } : {}),
    });
    const errors = result.records.filter((r) => r.error).length;
    if (errors) figures.push({ name: `  failed requests at ${rate} req/s`, value: errors, unit: 'requests' });
  } finally {
    await server.close();
  }
}

async function rssAtThousandStreams(): Promise<void> {
  const server = await spawnExactScheduleServer(['--ttft-ms', '50', '--itl-ms', '100', '--no-role-chunk']);
  try {
    const spec = parseLoadSpec({
      ...STAMPS,
      kind: 'fixed-concurrency',
      concurrency: 1000,
      requests: 1000,
      prompts: { ...prompts, outputTokens: 40 },
    });
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 100);
    const result = await runLoad(spec, target(server.url), { keepRecords: true });
    clearInterval(sampler);
    const ok = result.records.filter((r) => r.error === null).length;
    figures.push({ name: 'RSS at 1,000 concurrent streams (peak)', value: peak / 2 ** 20, unit: 'MiB' });
    figures.push({ name: '  (RSS before, streams completed)', value: before / 2 ** 20, unit: `MiB, ${ok}/1000 ok` });
  } finally {
    await server.close();
  }
}

function verdict(figure: Figure): string {
  if (!figure.target || !Number.isFinite(figure.value)) return '';
  const { op, value } = figure.target;
  // ratio > 1 means the target is met with that much margin.
  const ratio = op === '>=' ? figure.value / value : value / figure.value;
  return `target ${op} ${value}  ratio ${ratio.toFixed(2)}  ${ratio >= 1 ? 'met' : 'MISSED'}`;
}

const only = process.argv.indexOf('--only');
const selected = only === -1 ? null : new Set((process.argv[only + 1] ?? '').split(','));
const wanted = (name: string) => selected === null || selected.has(name);
if (wanted('events')) await eventsPerCpuSecond();
if (wanted('pacing')) await pacing(1000, false);
if (wanted('pacing')) await pacing(5000, true);
if (wanted('rss')) await rssAtThousandStreams();

console.log(`kitt load client — Node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, loopback`);
for (const figure of figures) {
  const value = figure.value >= 100 ? figure.value.toFixed(0) : figure.value.toFixed(3);
  console.log(`${figure.name.padEnd(48)} ${value.padStart(10)} ${figure.unit.padEnd(20)} ${verdict(figure)}`);
}
const out = process.argv.indexOf('--json');
if (out !== -1 && process.argv[out + 1]) writeFileSync(process.argv[out + 1]!, `${JSON.stringify(figures, null, 2)}\n`);
