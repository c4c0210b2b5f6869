import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/**
 * An OpenAI-compatible server that emits tokens on a known schedule, so a client's measured TTFT,
 * ITL and token counts can be checked against the truth. For a request received (body complete) at
 * t0 on the server's monotonic clock:
 *
 *   role-only chunk (chat, when roleChunk)   at t0 + roleChunkDelayMs     {"delta":{"role":"assistant","content":""}}
 *   content chunk k = 0 .. C-1               at t0 + serviceTimeMs + ttftMs + k * itlMs
 *   usage chunk + [DONE]                     right after the last content chunk
 *
 * with C = ceil(n / tokensPerChunk) chunks for n output tokens (the request's max_tokens, or
 * `outputTokens` when set); each chunk carries tokensPerChunk tokens (the last one the remainder).
 * A token is the word "tok" plus a space. Timers are set against absolute target times (no drift);
 * the actual write time of every chunk is logged per `x-request-id` when `log` is on (GET /_log),
 * so benchmarks compare against what really happened, not the nominal schedule.
 *
 * Also: POST /tokenize (one token per whitespace-separated word: {"tokens":[...]}), GET /metrics
 * (Prometheus counters), GET /health. At most `parallel` requests are served at once; the rest wait
 * in arrival order (like an engine's slots), and waiting counts toward their TTFT.
 *
 * Runnable on its own: `node --import tsx src/testing/exact-schedule-server.ts --ttft-ms 50 --itl-ms 20`
 * prints {"url": "..."} on its first stdout line.
 */
export interface ExactSchedule {
  readonly ttftMs: number;
  readonly itlMs: number;
  readonly tokensPerChunk: number;
  /** Output tokens per answer; default: the request's max_tokens (16 when absent). */
  readonly outputTokens?: number;
  /** Send a role-only first chunk on chat streams (what vLLM and llama.cpp do). */
  readonly roleChunk: boolean;
  readonly roleChunkDelayMs: number;
  /** Extra time before generation starts (queueing, prefill), added to TTFT. */
  readonly serviceTimeMs: number;
  /** Requests served at once; the rest wait. Infinity = no limit. */
  readonly parallel: number;
  /** Keep each chunk's write time per x-request-id (GET /_log), and when its body was received (GET /_received). */
  readonly log: boolean;
}

export const DEFAULT_SCHEDULE: ExactSchedule = {
  ttftMs: 20,
  itlMs: 10,
  tokensPerChunk: 1,
  roleChunk: true,
  roleChunkDelayMs: 0,
  serviceTimeMs: 0,
  parallel: Number.POSITIVE_INFINITY,
  log: false,
};

export interface ExactScheduleServer {
  readonly url: string;
  readonly port: number;
  /** Requests answered so far. */
  readonly served: () => number;
  /** Write times (server monotonic ms) of each content chunk, by x-request-id. */
  readonly writeLog: () => Map<string, number[]>;
  close(): Promise<void>;
}

interface Counters {
  requests: number;
  promptTokens: number;
  predictedTokens: number;
}

export async function startExactScheduleServer(
  schedule: Partial<ExactSchedule> = {},
  options: { port?: number; host?: string } = {},
): Promise<ExactScheduleServer> {
  const config: ExactSchedule = { ...DEFAULT_SCHEDULE, ...schedule };
  const counters: Counters = { requests: 0, promptTokens: 0, predictedTokens: 0 };
  const log: RequestLog = { writes: new Map(), received: new Map() };
  const waiting: Array<() => void> = [];
  let busy = 0;
  const release = () => {
    busy--;
    const next = waiting.shift();
    if (next) {
      busy++;
      next();
    }
  };
  const server: Server = createServer((req, res) => {
    readBody(req)
      .then((body) =>
        route(
          config,
          counters,
          log,
          { req, res, body },
          (serve) => {
            if (busy < config.parallel) {
              busy++;
              serve();
            } else waiting.push(serve);
          },
          release,
        ),
      )
      .catch((error: Error) => {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: error.message } }));
      });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    served: () => counters.requests,
    writeLog: () => log.writes,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly body: string;
}

function countWords(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/).length;
}

/** Per x-request-id: each chunk's write time, and when the request's body was received. */
interface RequestLog {
  readonly writes: Map<string, number[]>;
  readonly received: Map<string, number>;
}

function route(
  config: ExactSchedule,
  counters: Counters,
  log: RequestLog,
  exchange: Exchange,
  admit: (serve: () => void) => void,
  release: () => void,
): void {
  const { req, res, body } = exchange;
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && path === '/health') {
    res.end('{"status":"ok"}');
  } else if (req.method === 'GET' && path === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(
      [
        '# HELP kitt_exact:requests_total Requests answered.',
        '# TYPE kitt_exact:requests_total counter',
        `kitt_exact:requests_total ${counters.requests}`,
        '# TYPE kitt_exact:prompt_tokens_total counter',
        `kitt_exact:prompt_tokens_total ${counters.promptTokens}`,
        '# TYPE kitt_exact:tokens_predicted_total counter',
        `kitt_exact:tokens_predicted_total ${counters.predictedTokens}`,
        '',
      ].join('\n'),
    );
  } else if (req.method === 'GET' && path === '/_log') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(Object.fromEntries(log.writes)));
  } else if (req.method === 'GET' && path === '/_received') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(Object.fromEntries(log.received)));
  } else if (req.method === 'POST' && path === '/tokenize') {
    const json = JSON.parse(body) as { content?: string };
    const n = countWords(json.content ?? '');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ tokens: Array.from({ length: n }, (_, i) => i + 1) }));
  } else if (req.method === 'POST' && (path === '/v1/completions' || path === '/v1/chat/completions')) {
    const t0 = performance.now();
    const request = JSON.parse(body) as Record<string, unknown>;
    const chat = path === '/v1/chat/completions';
    admit(() => generate(config, counters, log, { req, res, request, chat, t0 }, release));
  } else {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":{"message":"not found"}}');
  }
}

interface Generation {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly request: Record<string, unknown>;
  readonly chat: boolean;
  readonly t0: number;
}

function promptText(request: Record<string, unknown>, chat: boolean): string {
  if (!chat) return String(request.prompt ?? '');
  const messages = (request.messages as Array<{ content?: unknown }> | undefined) ?? [];
  return messages.map((message) => String(message.content ?? '')).join(' ');
}

function generate(
  config: ExactSchedule,
  counters: Counters,
  log: RequestLog,
  generation: Generation,
  release: () => void,
): void {
  const { res, request, chat, t0 } = generation;
  const n = config.outputTokens ?? (typeof request.max_tokens === 'number' ? request.max_tokens : 16);
  const promptTokens = countWords(promptText(request, chat));
  const stream = request.stream === true;
  const streamOptions = (request.stream_options ?? {}) as Record<string, unknown>;
  const continuous = streamOptions.continuous_usage_stats === true;
  const includeUsage = streamOptions.include_usage === true || continuous;
  const chunks = Math.max(1, Math.ceil(n / config.tokensPerChunk));
  const start = Math.max(t0, performance.now());
  const writes: number[] = [];
  const requestId = generation.req.headers['x-request-id'];
  if (config.log && typeof requestId === 'string') {
    log.writes.set(requestId, writes);
    log.received.set(requestId, generation.t0);
  }
  const id = `cmpl-${counters.requests}`;
  const object = chat ? 'chat.completion.chunk' : 'text_completion';
  let sent = 0;
  let closed = false;
  res.on('close', () => {
    if (!closed) {
      closed = true;
      release();
    }
  });
  const usage = (completion: number) => ({
    prompt_tokens: promptTokens,
    completion_tokens: completion,
    total_tokens: promptTokens + completion,
  });
  const choice = (text: string) =>
    chat ? { index: 0, delta: { content: text }, finish_reason: null } : { index: 0, text, finish_reason: null };
  const finish = () => {
    counters.requests++;
    counters.promptTokens += promptTokens;
    counters.predictedTokens += n;
    closed = true;
    release();
  };
  if (!stream) {
    const at = start + config.serviceTimeMs + config.ttftMs + (chunks - 1) * config.itlMs;
    setTimeout(
      () => {
        const text = 'tok '.repeat(n);
        const message = chat
          ? { index: 0, message: { role: 'assistant', content: text }, finish_reason: 'length' }
          : { index: 0, text, finish_reason: 'length' };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id,
            object: chat ? 'chat.completion' : 'text_completion',
            choices: [message],
            usage: usage(n),
          }),
        );
        writes.push(performance.now());
        finish();
      },
      Math.max(0, at - performance.now()),
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const write = (payload: unknown) => res.write(`data: ${JSON.stringify(payload)}\n\n`);
  if (chat && config.roleChunk) {
    const role = () =>
      write({
        id,
        object,
        choices: [{ index: 0, delta: { role: 'assistant', content: '' } }],
        ...(continuous ? { usage: usage(0) } : {}),
      });
    if (config.roleChunkDelayMs > 0) setTimeout(role, config.roleChunkDelayMs);
    else role();
  }
  const first = start + config.serviceTimeMs + config.ttftMs;
  const next = (k: number) => {
    if (closed) return;
    const tokens = Math.min(config.tokensPerChunk, n - sent);
    sent += tokens;
    const payload: Record<string, unknown> = { id, object, choices: [choice('tok '.repeat(tokens))] };
    if (continuous) payload.usage = usage(sent);
    write(payload);
    writes.push(performance.now());
    if (k + 1 < chunks) {
      setTimeout(() => next(k + 1), Math.max(0, first + (k + 1) * config.itlMs - performance.now()));
      return;
    }
    if (includeUsage) write({ id, object, choices: [], usage: usage(sent) });
    res.end('data: [DONE]\n\n');
    finish();
  };
  setTimeout(() => next(0), Math.max(0, first - performance.now()));
}

function parseArgs(argv: readonly string[]): { schedule: Partial<ExactSchedule>; port: number } {
  const schedule: Record<string, number | boolean> = {};
  let port = 0;
  const names: Record<string, keyof ExactSchedule> = {
    '--ttft-ms': 'ttftMs',
    '--itl-ms': 'itlMs',
    '--tokens-per-chunk': 'tokensPerChunk',
    '--output-tokens': 'outputTokens',
    '--role-chunk-delay-ms': 'roleChunkDelayMs',
    '--service-time-ms': 'serviceTimeMs',
    '--parallel': 'parallel',
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--port') port = Number(argv[++i]);
    else if (flag === '--log') schedule.log = true;
    else if (flag === '--no-role-chunk') schedule.roleChunk = false;
    else if (names[flag]) schedule[names[flag]] = Number(argv[++i]);
    else throw new Error(`unknown flag ${flag}`);
  }
  return { schedule: schedule as Partial<ExactSchedule>, port };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { schedule, port } = parseArgs(process.argv.slice(2));
  const server = await startExactScheduleServer(schedule, { port });
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
