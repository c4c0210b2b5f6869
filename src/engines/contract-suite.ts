import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import type { RunningEngine } from './engine.js';
import { parseOllamaStream, parseOpenAiStream, parsePrometheusText } from './engine-responses.js';

/** What every engine adapter must do; each can be skipped with a stated reason. */
export type ContractFeature = 'ready' | 'stream' | 'usage' | 'cancel' | 'metrics';

export interface ContractOptions {
  /** Features this engine cannot show, each with why (printed as the skip reason). */
  readonly skips?: Partial<Record<ContractFeature, string>>;
  /** Readiness path to probe; defaults to /health (OpenAI engines) or /api/tags (Ollama). */
  readonly healthPath?: string;
  /** Prometheus endpoint; when absent the metrics feature is skipped as undeclared. */
  readonly metricsPath?: string;
  /** Tokens per test completion; small, since synthetic models are slow on a shared CPU. */
  readonly maxTokens?: number;
  /** Per-test budget. */
  readonly timeoutMs?: number;
  /** Skip the whole suite (the engine cannot run here), with the reason. */
  readonly skipAll?: string;
}

interface Completion {
  readonly text: string;
  readonly textChunks: number;
  readonly completionTokens: number | undefined;
  readonly finished: boolean;
}

function completionBody(engine: RunningEngine, maxTokens: number, prompt: string): { path: string; body: string } {
  if (engine.api === 'ollama') {
    return {
      path: '/api/generate',
      body: JSON.stringify({ model: engine.servedModel, prompt, stream: true, options: { num_predict: maxTokens } }),
    };
  }
  return {
    path: '/v1/completions',
    body: JSON.stringify({
      model: engine.servedModel,
      prompt,
      max_tokens: maxTokens,
      stream: true,
      stream_options: { include_usage: true },
      // generate exactly max_tokens, so usage can be checked against the request
      ignore_eos: true,
      temperature: 0,
    }),
  };
}

/** One streamed completion, read to the end. */
async function streamCompletion(engine: RunningEngine, maxTokens: number, signal?: AbortSignal): Promise<Completion> {
  const { path, body } = completionBody(engine, maxTokens, 'The quick brown fox');
  const response = await request(`${engine.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal,
  });
  const text = await response.body.text();
  assert.equal(response.statusCode, 200, `completion answered ${response.statusCode}: ${text.slice(0, 200)}`);
  if (engine.api === 'ollama') {
    const parsed = parseOllamaStream(text);
    return {
      text: parsed.text,
      textChunks: text.split('\n').filter((l) => l.includes('"done":false')).length,
      completionTokens: parsed.usage.completionTokens,
      finished: true,
    };
  }
  const parsed = parseOpenAiStream(text);
  return {
    text: parsed.text,
    textChunks: parsed.textChunks,
    completionTokens: parsed.usage?.completionTokens,
    finished: parsed.sawDone,
  };
}

/**
 * Starts a long completion, reads its first bytes, then aborts it: the engine must notice the
 * closed connection and free the slot, which the next request proves by finishing in time.
 */
async function cancelMidStream(engine: RunningEngine): Promise<number> {
  const controller = new AbortController();
  const { path, body } = completionBody(engine, 100_000, 'Count forever:');
  const response = await request(`${engine.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: controller.signal,
  });
  let received = 0;
  try {
    for await (const chunk of response.body) {
      received += (chunk as Buffer).length;
      if (received > 0) break;
    }
  } finally {
    controller.abort();
    response.body.destroy();
  }
  return received;
}

function skipOf(options: ContractOptions, feature: ContractFeature): { skip?: string } {
  const reason = options.skips?.[feature];
  return reason === undefined ? {} : { skip: reason };
}

/**
 * The contract every engine adapter runs (embedded, llama.cpp container, and any engine lent a
 * machine): ready, a streamed completion with tokens, usage equal to the streamed tokens, cancel
 * mid-stream frees the engine, and /metrics parses where declared. Registers a node:test suite;
 * `start` is called once and the engine is stopped after the suite, whatever happened.
 */
export function runEngineContract(
  name: string,
  start: () => Promise<RunningEngine>,
  options: ContractOptions = {},
): void {
  const maxTokens = options.maxTokens ?? 8;
  const timeout = options.timeoutMs ?? 120_000;
  const suite = options.skipAll === undefined ? { timeout: timeout * 6 } : { skip: options.skipAll };
  describe(`${name} engine contract`, suite, () => {
    let engine: RunningEngine | undefined;
    before(async () => {
      engine = await start();
    });
    after(async () => {
      await engine?.stop();
    });
    const running = (): RunningEngine => {
      assert.ok(engine, 'the engine did not start');
      return engine;
    };

    test('answers ready on its health endpoint', { timeout, ...skipOf(options, 'ready') }, async () => {
      const e = running();
      const path = options.healthPath ?? (e.api === 'ollama' ? '/api/tags' : '/health');
      const response = await request(`${e.baseUrl}${path}`);
      await response.body.text();
      assert.equal(response.statusCode, 200);
    });

    test('streams a completion with tokens', { timeout, ...skipOf(options, 'stream') }, async () => {
      const completion = await streamCompletion(running(), maxTokens);
      assert.ok(completion.textChunks >= 1, 'no token arrived');
      assert.ok(completion.finished, 'the stream did not end properly');
    });

    test('reports usage equal to the tokens it streamed', { timeout, ...skipOf(options, 'usage') }, async () => {
      const completion = await streamCompletion(running(), maxTokens);
      assert.equal(completion.completionTokens, maxTokens, 'usage differs from the forced length');
      assert.equal(completion.textChunks, completion.completionTokens, 'usage differs from the tokens streamed');
    });

    test('frees the engine when a client cancels mid-stream', { timeout, ...skipOf(options, 'cancel') }, async () => {
      const e = running();
      assert.ok((await cancelMidStream(e)) > 0, 'the cancelled stream sent nothing before the cancel');
      // with one slot, this only finishes if the cancelled generation stopped
      const next = await streamCompletion(e, 2, AbortSignal.timeout(timeout / 2));
      assert.ok(next.textChunks >= 1);
    });

    const metricsSkip = options.metricsPath
      ? skipOf(options, 'metrics')
      : { skip: 'the engine declares no metrics endpoint' };
    test('serves parseable Prometheus metrics', { timeout, ...metricsSkip }, async () => {
      const response = await request(`${running().baseUrl}${options.metricsPath}`);
      const text = await response.body.text();
      assert.equal(response.statusCode, 200);
      assert.ok(parsePrometheusText(text).length > 0, 'no samples');
    });
  });
}
