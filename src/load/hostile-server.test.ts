import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { BoundedReadError } from '../core/bounded-request.js';
import { forHttp } from '../engines/readiness.js';
import { summarizeRun } from '../metrics/summarize-run.js';
import { parseLoadSpec } from './load-spec.js';
import type { LoadTarget } from './load-target.js';
import { METRICS_READ_LIMITS, runLoad, scrapeMetrics } from './run-load.js';
import { tokenizeClient } from './tokenize-client.js';

/**
 * kitt against servers that misbehave on purpose, on a stdlib node:http server on loopback: slow
 * answers that never trip an idle timeout, endless lines, huge bodies and impossible token counts.
 * Each run must end within a bound, with the failure named, and without memory growing past the caps.
 */
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface HostileServer {
  readonly url: string;
  close(): Promise<void>;
}

async function startHostileServer(routes: Record<string, Handler>): Promise<HostileServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    req.resume();
    req.on('end', () => (routes[path] ?? notFound)(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function notFound(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(404).end();
}

/** Writes `byte` once a second until the client goes away: never idle for long, never done. */
function dribble(res: ServerResponse, byte: string, headers: Record<string, string>): void {
  res.writeHead(200, headers);
  res.flushHeaders();
  const timer = setInterval(() => res.write(byte), 1_000);
  res.on('close', () => clearInterval(timer));
}

const SSE = { 'content-type': 'text/event-stream' };

/** A well-formed streamed chat answer: `tokens` content chunks, then the usage chunk, then [DONE]. */
function chatStream(res: ServerResponse, tokens: number, usage: Record<string, unknown> | null): void {
  res.writeHead(200, SSE);
  for (let i = 0; i < tokens; i++) {
    res.write(`data: {"choices":[{"index":0,"delta":{"content":"t${i}"}}]}\n\n`);
  }
  if (usage) res.write(`data: {"choices":[],"usage":${JSON.stringify(usage)}}\n\n`);
  res.end('data: [DONE]\n\n');
}

function targetFor(url: string, over: Partial<LoadTarget> = {}): LoadTarget {
  return {
    baseUrl: url,
    api: 'openai-chat',
    model: 'm',
    supports: { ignoreEos: true, tokenize: false, usage: 'final' },
    ...over,
  };
}

const smallRun = (requests: number, extra: Record<string, unknown> = {}) =>
  parseLoadSpec({
    kind: 'fixed-concurrency',
    concurrency: 1,
    requests,
    warmup: { requests: 0 },
    prompts: { kind: 'synthetic', inputTokens: 8, outputTokens: 3 },
    ...extra,
  });

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await work();
  return { value, ms: performance.now() - start };
}

test('a /metrics that dribbles a byte a second ends at its deadline and the run says the counters were skipped', async (t) => {
  const server = await startHostileServer({
    '/metrics': (_req, res) => dribble(res, '#', { 'content-type': 'text/plain' }),
    '/v1/chat/completions': (_req, res) => chatStream(res, 3, { prompt_tokens: 8, completion_tokens: 3 }),
  });
  t.after(() => server.close());
  const { value: result, ms } = await timed(() => runLoad(smallRun(2), targetFor(server.url), { keepRecords: true }));
  assert.ok(ms < METRICS_READ_LIMITS.deadlineMs + 3_000, `run took ${ms} ms`);
  assert.equal(result.engineCounters, undefined);
  assert.ok(
    result.warnings.some((w) => /GET \/metrics did not finish within 5000 ms \(timeout\)/.test(w)),
    result.warnings.join('\n'),
  );
  assert.ok(result.records.every((r) => r.error === null));
});

test('a 50 MB /metrics is cut at the cap, declared or streamed, without buffering it', async (t) => {
  const piece = Buffer.alloc(1024 * 1024, 'kitt_x_total 1\n');
  const send = (res: ServerResponse, declare: boolean) => {
    res.writeHead(200, {
      'content-type': 'text/plain',
      ...(declare ? { 'content-length': String(50 * piece.length) } : {}),
    });
    let sent = 0;
    const more = () => {
      while (sent < 50 && !res.destroyed) {
        sent++;
        if (!res.write(piece)) return void res.once('drain', more);
      }
      res.end();
    };
    more();
  };
  const server = await startHostileServer({
    '/metrics': (_req, res) => send(res, false),
    '/declared/metrics': (_req, res) => send(res, true),
    '/v1/chat/completions': (_req, res) => chatStream(res, 3, null),
  });
  t.after(() => server.close());
  const reasons: string[] = [];
  const rssBefore = process.memoryUsage().rss;
  const { value: scrape, ms } = await timed(() => scrapeMetrics(server.url, '/metrics', (why) => reasons.push(why)));
  assert.equal(scrape, null);
  assert.ok(ms < 3_000, `scrape took ${ms} ms`);
  assert.match(reasons[0] ?? '', /GET \/metrics is over 4 MiB \(response-too-large\)/);
  const growthMiB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
  assert.ok(growthMiB < 200, `RSS grew ${growthMiB.toFixed(0)} MiB (2.2 GB when the whole text was parsed)`);
  assert.equal(await scrapeMetrics(server.url, '/declared/metrics', (why) => reasons.push(why)), null);
  assert.match(reasons[1] ?? '', /declares 52428800 bytes, over 4 MiB/);

  const { value: result } = await timed(() => runLoad(smallRun(1), targetFor(server.url), { keepRecords: true }));
  assert.ok(result.warnings.some((w) => /response-too-large/.test(w)));
  assert.equal(result.records[0]?.error, null);
});

test('a /tokenize that never finishes fails within its deadline, and the run falls back to approximate lengths', async (t) => {
  const server = await startHostileServer({
    '/tokenize': (_req, res) => dribble(res, ' ', { 'content-type': 'application/json' }),
    '/v1/chat/completions': (_req, res) => chatStream(res, 3, null),
  });
  t.after(() => server.close());
  const count = tokenizeClient(server.url, 'm', undefined, { maxBytes: 1024, deadlineMs: 1_500 });
  const { ms } = await timed(() =>
    assert.rejects(count('hello'), (error: BoundedReadError) => {
      assert.equal(error.kind, 'timeout');
      assert.match(error.message, /POST \/tokenize did not finish within 1500 ms/);
      return true;
    }),
  );
  assert.ok(ms < 3_000, `tokenize took ${ms} ms`);

  const target = targetFor(server.url, {
    supports: { ignoreEos: true, tokenize: true, usage: 'none' },
    metricsPath: null,
  });
  const { value: result, ms: runMs } = await timed(() => runLoad(smallRun(1), target, { keepRecords: true }));
  assert.ok(runMs < 15_000, `run took ${runMs} ms`);
  assert.ok(
    result.warnings.some((w) => /POST \/tokenize failed \(.*did not finish within 10000 ms\).*approximate/.test(w)),
    result.warnings.join('\n'),
  );
  assert.equal(result.records[0]?.error, null);
});

test('a stream that sends keep-alive comments forever ends at the request deadline, not an idle one', async (t) => {
  const server = await startHostileServer({
    '/v1/chat/completions': (_req, res) => {
      res.writeHead(200, SSE);
      const timer = setInterval(() => res.write(': ping\n\n'), 100);
      res.on('close', () => clearInterval(timer));
    },
  });
  t.after(() => server.close());
  const { value: result, ms } = await timed(() =>
    runLoad(smallRun(1, { timeoutS: 1 }), targetFor(server.url, { metricsPath: null }), { keepRecords: true }),
  );
  assert.ok(ms < 3_000, `run took ${ms} ms`);
  assert.equal(result.records[0]?.error?.kind, 'timeout');
});

test('an endless SSE data line ends the request with response-too-large and bounded memory', async (t) => {
  const filler = Buffer.alloc(64 * 1024, 'x');
  const server = await startHostileServer({
    '/v1/chat/completions': (_req, res) => {
      res.writeHead(200, SSE);
      res.write('data: {"choices":[{"delta":{"content":"');
      const more = () => {
        while (!res.destroyed) if (!res.write(filler)) return void res.once('drain', more);
      };
      more();
    },
  });
  t.after(() => server.close());
  const rssBefore = process.memoryUsage().rss;
  const { value: result, ms } = await timed(() =>
    runLoad(smallRun(2, { timeoutS: 60 }), targetFor(server.url, { metricsPath: null }), { keepRecords: true }),
  );
  const growthMiB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
  assert.ok(ms < 10_000, `run took ${ms} ms`);
  assert.equal(result.records.length, 2);
  for (const record of result.records) {
    assert.equal(record.error?.kind, 'response-too-large');
    assert.match(record.error?.message ?? '', /one streamed event is over 4 MiB/);
  }
  assert.ok(growthMiB < 100, `RSS grew ${growthMiB.toFixed(0)} MiB (547 MB before the cap)`);
});

test('negative, fractional and absurd usage counts flag the record and throughput comes from counted chunks', async (t) => {
  const usages = [
    { prompt_tokens: 8, completion_tokens: 7 },
    { prompt_tokens: 8, completion_tokens: -5 },
    { prompt_tokens: 8, completion_tokens: 2.5 },
    { prompt_tokens: 8, completion_tokens: 1e12 },
    { prompt_tokens: -100, completion_tokens: 3 },
  ];
  let served = 0;
  const server = await startHostileServer({
    '/v1/chat/completions': (_req, res) => chatStream(res, 3, usages[served++ % usages.length]!),
  });
  t.after(() => server.close());
  const { value: result, ms } = await timed(() =>
    runLoad(smallRun(usages.length), targetFor(server.url, { metricsPath: null }), { keepRecords: true }),
  );
  assert.ok(ms < 5_000, `run took ${ms} ms`);
  const byId = [...result.records].sort((a, b) => a.id - b.id);
  assert.equal(byId[0]?.invalidUsage, undefined);
  assert.equal(byId[0]?.outputTokens, 7, 'a plausible usage count is still the authority');
  assert.equal(byId[0]?.outputTokenSource, 'usage');
  const flagged = byId.slice(1);
  assert.deepEqual(
    flagged.map((r) => r.invalidUsage?.split(' is not')[0]),
    [
      'usage.completion_tokens -5',
      'usage.completion_tokens 2.5',
      'usage.completion_tokens 1000000000000',
      'usage.prompt_tokens -100',
    ],
  );
  for (const record of flagged) {
    assert.equal(record.error, null, 'an invalid count does not drop the request');
    assert.equal(record.outputTokens, 3);
    assert.equal(record.outputTokenSource, 'chunks');
    assert.equal(record.promptTokens, null, "kitt's own prompt length (none without a tokenizer), not the server's");
  }
  assert.ok(
    result.warnings.some((w) =>
      /^4 requests had invalid usage counts \(usage\.completion_tokens -5 .*counted from the stream$/.test(w),
    ),
    result.warnings.join('\n'),
  );
  const metrics = summarizeRun(result.records);
  assert.equal(metrics.tokens.outputTotal, 7 + 4 * 3);
  const rate = metrics.throughput.outputTokensPerS;
  assert.ok(rate !== null && rate > 0 && rate < 1e6, `output tokens/s ${rate}`);
});

test('a /health that dribbles ends each probe at its deadline, so readiness gives up on time', async (t) => {
  const server = await startHostileServer({
    '/health': (_req, res) => dribble(res, ' ', { 'content-type': 'application/json' }),
  });
  t.after(() => server.close());
  const strategy = forHttp(`${server.url}/health`, { probeTimeoutMs: 300, timeoutMs: 1_500 });
  const done = new AbortController();
  t.after(() => done.abort());
  const { ms } = await timed(() =>
    assert.rejects(strategy.check({ signal: done.signal, logTail: async () => '' }), { code: 'ENGINE_NOT_READY' }),
  );
  assert.ok(ms < 4_000, `readiness took ${ms} ms`);
});
