import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { monotonicClock } from '../../core/clock.js';
import { createThinkClient, type ThinkClientOptions } from './chat-think.js';

/** Tier 1: a local server streams chat answers as OpenAI-style engines do; the client is real. */
type Handler = (body: Record<string, unknown>, res: ServerResponse) => void;

const sse = (res: ServerResponse, events: readonly unknown[], gapMs = 0) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  let i = 0;
  const next = () => {
    if (i < events.length) {
      res.write(`data: ${JSON.stringify(events[i++])}\n\n`);
      setTimeout(next, gapMs);
    } else res.end('data: [DONE]\n\n');
  };
  next();
};

const delta = (d: Record<string, unknown>) => ({ choices: [{ index: 0, delta: d, finish_reason: null }] });

describe('think client', () => {
  let server: Server;
  let baseUrl: string;
  let handler: Handler;
  const bodies: Record<string, unknown>[] = [];
  before(async () => {
    server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        bodies.push(body);
        handler(body, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    bodies.length = 0;
  });

  const options = (extra: Partial<ThinkClientOptions> = {}): ThinkClientOptions => ({
    clock: monotonicClock,
    connections: 2,
    maxTokens: 32,
    tools: [{ type: 'function', function: { name: 'search' } }],
    seed: 3,
    timeoutMs: 5_000,
    ...extra,
  });
  const messages = [{ role: 'user' as const, content: 'hi' }];

  test('a streamed answer gives text, tool calls assembled from deltas, usage, cached tokens and its timing', async () => {
    handler = (_body, res) =>
      sse(
        res,
        [
          delta({ role: 'assistant' }),
          delta({ content: 'Let me ' }),
          delta({ content: 'look.' }),
          delta({
            tool_calls: [{ index: 0, id: 'c1', type: 'function', function: { name: 'search', arguments: '{"que' } }],
          }),
          delta({ tool_calls: [{ index: 0, function: { arguments: 'ry":"oslo"}' } }] }),
          {
            choices: [],
            usage: { prompt_tokens: 120, completion_tokens: 9, prompt_tokens_details: { cached_tokens: 96 } },
          },
        ],
        20,
      );
    const client = createThinkClient({ baseUrl, model: 'm', headers: { authorization: 'Bearer k' } }, options());
    try {
      const outcome = await client.think(messages, new AbortController().signal);
      assert.equal(outcome.error, null);
      assert.equal(outcome.text, 'Let me look.');
      assert.deepEqual(outcome.toolCalls, [{ name: 'search', arguments: '{"query":"oslo"}' }]);
      assert.deepEqual([outcome.promptTokens, outcome.outputTokens, outcome.cachedTokens], [120, 9, 96]);
      const ttft = outcome.firstTokenAtMs! - outcome.sentAtMs;
      const e2e = outcome.endAtMs - outcome.sentAtMs;
      // the role-only first chunk does not start TTFT: the first content comes one gap later
      assert.ok(ttft >= 15 && e2e >= ttft + 60, `ttft ${ttft} e2e ${e2e}`);
      assert.deepEqual(
        { ...bodies[0], messages: undefined },
        {
          model: 'm',
          messages: undefined,
          max_tokens: 32,
          stream: true,
          stream_options: { include_usage: true },
          seed: 3,
          tools: [{ type: 'function', function: { name: 'search' } }],
          tool_choice: 'auto',
        },
      );
    } finally {
      await client.close();
    }
  });

  test("llama.cpp's timings.cache_n counts cached tokens; without usage the chunks are counted", async () => {
    handler = (_body, res) =>
      sse(res, [
        delta({ content: 'a' }),
        delta({ content: 'b' }),
        { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], timings: { cache_n: 40 } },
      ]);
    const client = createThinkClient({ baseUrl, model: 'm', headers: {} }, options());
    try {
      const outcome = await client.think(messages, new AbortController().signal);
      assert.deepEqual([outcome.promptTokens, outcome.outputTokens, outcome.cachedTokens], [null, 2, 40]);
    } finally {
      await client.close();
    }
  });

  test('a server refusing the tools field gets the think again without it, and never again with it', async () => {
    handler = (body, res) => {
      if (body.tools !== undefined) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ error: { code: 500, message: 'tools param requires --jinja flag', type: 'server_error' } }),
        );
        return;
      }
      sse(res, [delta({ content: 'ok' })]);
    };
    const refused: string[] = [];
    const client = createThinkClient(
      { baseUrl, model: 'm', headers: {} },
      options({ onToolsRefused: (m) => refused.push(m) }),
    );
    try {
      const first = await client.think(messages, new AbortController().signal);
      const second = await client.think(messages, new AbortController().signal);
      assert.equal(first.error, null);
      assert.equal(second.text, 'ok');
      assert.deepEqual(
        bodies.map((b) => b.tools !== undefined),
        [true, false, false],
      );
      assert.equal(refused.length, 1);
      assert.match(refused[0]!, /HTTP 500: .*--jinja/);
    } finally {
      await client.close();
    }
  });

  test('errors become outcomes: an HTTP status, a stream cut before [DONE], a timeout, an abort', async () => {
    const client = createThinkClient({ baseUrl, model: 'm', headers: {} }, options({ tools: [], timeoutMs: 300 }));
    try {
      handler = (_b, res) => {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"the request exceeds the available context size"}}');
      };
      const status = await client.think(messages, new AbortController().signal);
      assert.equal(status.error?.kind, 'http-status');
      assert.match(status.error!.message, /HTTP 400: .*context size/);
      handler = (_b, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(`data: ${JSON.stringify(delta({ content: 'x' }))}\n\n`);
      };
      assert.equal((await client.think(messages, new AbortController().signal)).error?.kind, 'connection');
      handler = (_b, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        setTimeout(() => res.end(), 2_000);
      };
      const slow = await client.think(messages, new AbortController().signal);
      assert.equal(slow.error?.kind, 'timeout');
      assert.ok(slow.endAtMs - slow.sentAtMs < 1_500);
      const abort = new AbortController();
      setTimeout(() => abort.abort(), 50);
      assert.equal((await client.think(messages, abort.signal)).error?.kind, 'aborted');
    } finally {
      await client.close();
    }
  });
});
