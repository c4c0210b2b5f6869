import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { KittError } from '../../core/errors.js';
import { silentProgress } from '../../core/progress.js';
import { startEmbeddedEngine } from '../../testing/start-engine-in.js';
import { ensureTestModel } from '../../testing/test-model.js';
import type { EngineRequest, RunningEngine } from '../engine.js';

function engineRequest(modelPath: string, extra: Partial<EngineRequest> = {}): EngineRequest {
  return {
    engine: 'embedded',
    mode: 'embedded',
    modelPath,
    limits: {},
    engineArgs: [],
    runId: 'test',
    threads: 1,
    ...extra,
  };
}

async function post(engine: RunningEngine, path: string, body: unknown): Promise<{ status: number; json: any }> {
  const response = await request(`${engine.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.statusCode, json: await response.body.json() };
}

async function get(engine: RunningEngine, path: string): Promise<{ status: number; text: string }> {
  const response = await request(`${engine.baseUrl}${path}`);
  return { status: response.statusCode, text: await response.body.text() };
}

/** Every `data:` payload of an SSE stream, [DONE] included. */
async function stream(engine: RunningEngine, path: string, body: Record<string, unknown>): Promise<string[]> {
  const response = await request(`${engine.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, stream: true }),
  });
  assert.equal(response.statusCode, 200);
  assert.match(String(response.headers['content-type']), /text\/event-stream/);
  const text = await response.body.text();
  return text
    .split('\n\n')
    .filter((event) => event.startsWith('data: '))
    .map((event) => event.slice('data: '.length));
}

function metric(text: string, name: string): number {
  const match = new RegExp(`^llamacpp:${name} (\\S+)$`, 'm').exec(text);
  assert.ok(match, `metric ${name} missing`);
  return Number(match[1]);
}

describe('the embedded engine on the synthetic model', () => {
  let engine: RunningEngine;
  let modelPath: string;

  before(async () => {
    modelPath = await ensureTestModel();
    engine = await startEmbeddedEngine(engineRequest(modelPath, { parallel: 2 }), { progress: silentProgress });
  });
  after(async () => {
    await engine?.stop();
  });

  test('answers a non-streamed completion with real tokens, usage and llama.cpp timings', async () => {
    const { status, json } = await post(engine, '/v1/completions', {
      prompt: 'Hello world',
      max_tokens: 8,
      ignore_eos: true,
    });
    assert.equal(status, 200);
    assert.equal(json.object, 'text_completion');
    assert.ok(json.choices[0].text.length > 0);
    assert.equal(json.choices[0].finish_reason, 'length');
    assert.equal(json.usage.completion_tokens, 8);
    assert.equal(json.usage.total_tokens, json.usage.prompt_tokens + 8);
    assert.equal(json.timings.predicted_n, 8);
    assert.equal(json.timings.prompt_n, json.usage.prompt_tokens);
    for (const key of [
      'prompt_ms',
      'prompt_per_token_ms',
      'prompt_per_second',
      'predicted_ms',
      'predicted_per_token_ms',
      'predicted_per_second',
    ]) {
      assert.ok(Number.isFinite(json.timings[key]) && json.timings[key] >= 0, key);
    }
    // as the pinned llama-server: 8 tokens are 7 decode steps after the first
    assert.ok(Math.abs(json.timings.predicted_per_token_ms - json.timings.predicted_ms / 7) < 1e-9);
  });

  test('answers a non-streamed chat completion with an assistant message', async () => {
    const { status, json } = await post(engine, '/v1/chat/completions', {
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 5,
      ignore_eos: true,
    });
    assert.equal(status, 200);
    assert.equal(json.object, 'chat.completion');
    assert.equal(json.choices[0].message.role, 'assistant');
    assert.ok(json.choices[0].message.content.length > 0);
    assert.equal(json.usage.completion_tokens, 5);
  });

  test('a streamed completion sends one chunk per token, and usage counts exactly those', async () => {
    const events = await stream(engine, '/v1/completions', {
      prompt: 'Once upon a time',
      max_tokens: 32,
      ignore_eos: true,
      stream_options: { include_usage: true },
    });
    assert.equal(events.at(-1), '[DONE]');
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event));
    const contentChunks = chunks.filter((chunk) => chunk.choices[0]?.text);
    const usage = chunks.at(-1);
    assert.deepEqual(usage.choices, []);
    assert.equal(usage.usage.completion_tokens, 32);
    assert.equal(contentChunks.length, usage.usage.completion_tokens);
    const finish = chunks.at(-2);
    assert.equal(finish.choices[0].finish_reason, 'length');
    assert.equal(finish.timings.predicted_n, 32);
  });

  test('a streamed chat opens with a role-only chunk and its usage matches the content chunks', async () => {
    const events = await stream(engine, '/v1/chat/completions', {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Tell me a story' },
      ],
      max_tokens: 16,
      ignore_eos: true,
      stream_options: { include_usage: true },
    });
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event));
    assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant' });
    assert.equal(chunks[0].object, 'chat.completion.chunk');
    const content = chunks.filter((chunk) => chunk.choices[0]?.delta?.content);
    assert.equal(content.length, 16);
    assert.equal(chunks.at(-1).usage.completion_tokens, 16);
  });

  test('without include_usage a stream ends with the finish chunk and [DONE]', async () => {
    const events = await stream(engine, '/v1/completions', { prompt: 'Hi', max_tokens: 3, ignore_eos: true });
    const last = JSON.parse(events.at(-2)!);
    assert.equal(last.choices[0].finish_reason, 'length');
    assert.equal(last.usage, undefined);
  });

  test('ignore_eos generates exactly max_tokens across seeds', async () => {
    for (const seed of [1, 2, 3]) {
      const { json } = await post(engine, '/v1/completions', {
        prompt: 'x',
        max_tokens: 64,
        ignore_eos: true,
        seed,
        temperature: 1.5,
      });
      assert.equal(json.usage.completion_tokens, 64);
    }
  });

  test('the same seed gives the same text', async () => {
    const body = { prompt: 'The sky is', max_tokens: 12, seed: 42, temperature: 0.9, ignore_eos: true };
    const first = await post(engine, '/v1/completions', body);
    const second = await post(engine, '/v1/completions', body);
    assert.equal(first.json.choices[0].text, second.json.choices[0].text);
  });

  test('a stop string ends generation before it and is not sent', async () => {
    const { json: free } = await post(engine, '/v1/completions', {
      prompt: 'abc',
      max_tokens: 20,
      seed: 7,
      ignore_eos: true,
    });
    const text: string = free.choices[0].text;
    const stop = text.slice(5, 8);
    const { json } = await post(engine, '/v1/completions', { prompt: 'abc', max_tokens: 20, seed: 7, stop: [stop] });
    assert.equal(json.choices[0].finish_reason, 'stop');
    assert.equal(json.choices[0].text, text.slice(0, text.indexOf(stop)));
  });

  test('/health is 200 ok and /v1/models lists the served model', async () => {
    const health = await get(engine, '/health');
    assert.equal(health.status, 200);
    assert.deepEqual(JSON.parse(health.text), { status: 'ok' });
    const models = JSON.parse((await get(engine, '/v1/models')).text);
    assert.equal(models.data[0].id, engine.servedModel);
    assert.match(engine.servedModel, /kitt-synthetic-tiny/);
  });

  test('/tokenize and /detokenize round-trip, and a prompt of N tokens is billed as N plus BOS', async () => {
    const { json } = await post(engine, '/tokenize', { content: 'Hello world, how are you?' });
    assert.ok(json.tokens.length > 3);
    const back = await post(engine, '/detokenize', { tokens: json.tokens });
    assert.equal(back.json.content, 'Hello world, how are you?');
    const completion = await post(engine, '/v1/completions', { prompt: 'Hello world, how are you?', max_tokens: 1 });
    assert.equal(completion.json.usage.prompt_tokens, json.tokens.length + 1);
  });

  test('/metrics counters grow by exactly the tokens served', async () => {
    const before = (await get(engine, '/metrics')).text;
    assert.match(before, /# TYPE llamacpp:prompt_tokens_total counter/);
    const { json } = await post(engine, '/v1/completions', { prompt: 'Count me', max_tokens: 10, ignore_eos: true });
    const afterText = (await get(engine, '/metrics')).text;
    assert.equal(metric(afterText, 'tokens_predicted_total') - metric(before, 'tokens_predicted_total'), 10);
    assert.equal(
      metric(afterText, 'prompt_tokens_total') - metric(before, 'prompt_tokens_total'),
      json.usage.prompt_tokens,
    );
    assert.ok(metric(afterText, 'n_decode_total') - metric(before, 'n_decode_total') >= 10);
    assert.equal(metric(afterText, 'requests_processing'), 0);
    assert.equal(metric(afterText, 'requests_deferred'), 0);
  });

  test('bad JSON and bad fields get a 400 with an OpenAI error body', async () => {
    const bad = await post(engine, '/v1/completions', '{not json');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.type, 'invalid_request_error');
    const field = await post(engine, '/v1/chat/completions', { messages: [], max_tokens: 3 });
    assert.equal(field.status, 400);
    assert.match(field.json.error.message, /messages/);
    const missing = await get(engine, '/v1/nothing');
    assert.equal(missing.status, 404);
  });

  test('two slots serve two streams at once and a third request is deferred until one frees', async () => {
    const long = { prompt: 'Long story', max_tokens: 2000, ignore_eos: true, stream: true };
    const controllers = [new AbortController(), new AbortController()];
    const open = controllers.map(async (controller) => {
      const response = await request(`${engine.baseUrl}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(long),
        signal: controller.signal,
      });
      // keep reading (a closed body would cancel it); the first chunk means generation is under way
      await new Promise<void>((resolve) => {
        response.body.once('data', () => resolve());
        response.body.on('data', () => undefined);
        response.body.on('error', () => undefined);
      });
      return response;
    });
    await Promise.all(open);
    const third = post(engine, '/v1/completions', { prompt: 'Third', max_tokens: 4, ignore_eos: true });
    let metrics = '';
    for (let attempt = 0; attempt < 50; attempt += 1) {
      metrics = (await get(engine, '/metrics')).text;
      if (metric(metrics, 'requests_deferred') === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(metric(metrics, 'requests_processing'), 2);
    assert.equal(metric(metrics, 'requests_deferred'), 1);
    // disconnecting a client cancels its generation and frees its slot for the third
    controllers[0]!.abort();
    const { json } = await third;
    assert.equal(json.usage.completion_tokens, 4);
    controllers[1]!.abort();
    for (let attempt = 0; attempt < 100; attempt += 1) {
      metrics = (await get(engine, '/metrics')).text;
      if (metric(metrics, 'requests_processing') === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(metric(metrics, 'requests_processing'), 0);
  });
});

test('a taken port fails with PORT_IN_USE before anything is spawned', async () => {
  const modelPath = await ensureTestModel();
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  try {
    await assert.rejects(
      startEmbeddedEngine(engineRequest(modelPath, { port }), { progress: silentProgress }),
      (error: unknown) => {
        assert.ok(error instanceof KittError);
        assert.equal(error.code, 'PORT_IN_USE');
        assert.equal(error.message, `port ${port} is in use on 127.0.0.1`);
        assert.match(error.hint ?? '', /--port/);
        return true;
      },
    );
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
});

test('a missing model and a file that is not GGUF fail before anything starts', async () => {
  await assert.rejects(
    startEmbeddedEngine(engineRequest('/nonexistent/model.gguf'), { progress: silentProgress }),
    (error: unknown) => error instanceof KittError && error.code === 'MODEL_NOT_FOUND',
  );
  await assert.rejects(
    startEmbeddedEngine(engineRequest(fileURLToPath(import.meta.url)), { progress: silentProgress }),
    (error: unknown) => error instanceof KittError && error.code === 'MODEL_NOT_GGUF',
  );
});

test('an unknown engine argument fails with USAGE and the child is gone', async () => {
  const modelPath = await ensureTestModel();
  await assert.rejects(
    startEmbeddedEngine(engineRequest(modelPath, { engineArgs: ['--bogus', '1'] }), { progress: silentProgress }),
    (error: unknown) => error instanceof KittError && error.code === 'USAGE' && /--bogus/.test(error.message),
  );
});

test('stop is idempotent and await using stops the engine', async () => {
  const modelPath = await ensureTestModel();
  let pid: number;
  {
    await using engine = await startEmbeddedEngine(engineRequest(modelPath), { progress: silentProgress });
    pid = Number(engine.handle);
    const first = await engine.stop();
    const second = await engine.stop();
    assert.deepEqual(second, first);
    assert.equal(first.name, 'embedded');
  }
  assert.equal(isAlive(pid), false);
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('killing the parent with SIGKILL takes the engine down with it', async () => {
  const modelPath = await ensureTestModel();
  // a parent that starts the engine, prints its pid and waits to be killed
  const dir = mkdtempSync(join(tmpdir(), 'kitt-parent-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'start-and-hang.mts');
  const start = new URL('../../testing/start-engine-in.ts', import.meta.url).href;
  writeFileSync(
    script,
    [
      `import { startEmbeddedEngine } from ${JSON.stringify(start)};`,
      'const engine = await startEmbeddedEngine(',
      "  { engine: 'embedded', mode: 'embedded', modelPath: process.argv[2], limits: {}, engineArgs: [], runId: 'parent', threads: 1 },",
      '  { progress: { phase() {}, update() {}, info() {}, warn() {}, end() {} } },',
      ');',
      'process.stdout.write(`engine pid ${engine.handle}\\n`);',
      'setInterval(() => undefined, 1000);',
    ].join('\n'),
  );
  const parent = spawn(process.execPath, ['--import', 'tsx', script, modelPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const childPid = await new Promise<number>((resolve, reject) => {
    let output = '';
    parent.stdout.on('data', (data: Buffer) => {
      output += data.toString();
      const match = /engine pid (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    parent.once('exit', (code) => reject(new Error(`parent exited early with ${code}: ${output}`)));
  });
  assert.equal(isAlive(childPid), true);
  parent.kill('SIGKILL');
  let alive = true;
  for (let attempt = 0; attempt < 100 && alive; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    alive = isAlive(childPid);
  }
  assert.equal(alive, false, `engine ${childPid} outlived its parent`);
});
