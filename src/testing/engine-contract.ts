import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Dispatcher, Pool, request } from 'undici';
import { monotonicClock } from '../core/clock.js';
import type { RunningEngine } from '../engines/engine.js';
import type { LoadTarget } from '../load/load-target.js';
import { scrapeMetrics } from '../load/run-load.js';
import { type InFlightRequest, sendRequest } from '../load/send-request.js';
import type { RequestRecord } from '../metrics/request-record.js';
import { type ContractSubject, contractSubject, crossCheckFinds } from './contract-adapters.js';

/** What every engine adapter must do; each can be skipped with a stated reason. */
export type ContractFeature = 'ready' | 'stream' | 'chat' | 'usage' | 'cancel' | 'metrics' | 'error';

export interface ContractOptions {
  /** Features this engine cannot show, each with why (printed as the skip reason). */
  readonly skips?: Partial<Record<ContractFeature, string>>;
  /** Tokens per test completion; small, since synthetic models are slow on a shared CPU. */
  readonly maxTokens?: number;
  /** Per-test budget. */
  readonly timeoutMs?: number;
  /** Skip the whole suite (the engine cannot run here), with the reason. */
  readonly skipAll?: string;
  /** The engine is a replay of recorded responses: lengths cannot follow max_tokens. */
  readonly recorded?: boolean;
  /**
   * 'chat': send the load checks (usage, cancel, error) over the chat endpoint, for a recording
   * that holds no completions stream (the completions check is then declared skipped).
   */
  readonly loadVia?: 'chat';
}

const PROMPT = 'The quick brown fox';

/** One request exactly as the load generator sends it: sendRequest, its decoder, its error kinds. */
function send(dispatcher: Dispatcher, target: LoadTarget, maxTokens: number, timeoutMs: number): InFlightRequest {
  return sendRequest(
    dispatcher,
    target,
    { text: PROMPT, inputTokens: null, maxTokens },
    { id: 0, phase: 'measure', stage: 0, scheduledAtMs: monotonicClock.nowMs(), queuedMs: 0 },
    { clock: monotonicClock, timeoutMs },
  );
}

function assertAnswered(record: RequestRecord): void {
  assert.equal(record.error, null, `the request failed: ${record.error?.kind} ${record.error?.message}`);
  // a reasoning model's first tokens come on the reasoning channel: they are tokens all the same
  assert.ok((record.firstContentAtMs ?? record.firstReasoningAtMs) !== null, 'no token arrived');
  assert.ok(record.arrivals.length >= 1, 'no token arrival was recorded');
}

/** Passes every callback on, and calls `onData` at the first body chunk (the stream has begun). */
class WatchedHandler implements Dispatcher.DispatchHandler {
  constructor(
    private readonly inner: Dispatcher.DispatchHandler,
    private readonly onFirstData: () => void,
  ) {}
  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.inner.onRequestStart?.(controller, context);
  }
  onResponseStart(controller: Dispatcher.DispatchController, status: number, headers: never, message?: string): void {
    this.inner.onResponseStart?.(controller, status, headers, message);
  }
  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.inner.onResponseData?.(controller, chunk);
    this.onFirstData();
  }
  onResponseEnd(controller: Dispatcher.DispatchController, trailers: never): void {
    this.inner.onResponseEnd?.(controller, trailers);
  }
  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.inner.onResponseError?.(controller, error);
  }
}

/**
 * Starts a long completion and cancels it at its first body chunk, as an interrupted run does.
 * Resolves with the cancelled request's record.
 */
async function cancelAtFirstChunk(pool: Pool, target: LoadTarget, timeoutMs: number): Promise<RequestRecord> {
  let began: () => void = () => {};
  const streaming = new Promise<void>((resolve) => {
    began = resolve;
  });
  const watched = pool.compose(
    (dispatch) => (options, handler) => dispatch(options, new WatchedHandler(handler, began)),
  );
  const inFlight = send(watched, target, 100_000, timeoutMs);
  await Promise.race([streaming, inFlight.done]);
  inFlight.abort();
  return inFlight.done;
}

/** The request kitt would send, with its JSON body cut short: a request every engine must refuse. */
function refusedRequest(pool: Pool, target: LoadTarget, timeoutMs: number): Promise<RequestRecord> {
  const truncating = pool.compose(
    (dispatch) => (options, handler) => dispatch({ ...options, body: String(options.body).slice(0, -1) }, handler),
  );
  return send(truncating, target, 4, timeoutMs).done;
}

function skipOf(options: ContractOptions, feature: ContractFeature): { skip?: string } {
  const reason = options.skips?.[feature];
  return reason === undefined ? {} : { skip: reason };
}

/**
 * The contract every engine adapter runs (live: embedded, llama.cpp container; replayed: the
 * recorded responses of vLLM, SGLang, TGI, Ollama and TabbyAPI). It measures with kitt's own load
 * client (sendRequest and its response decoder) and reads /metrics with kitt's own scraper, so
 * what passes here is what `kitt run` will measure. `start` is called once; the engine is stopped
 * after the suite, whatever happened.
 */
export function runEngineContract(
  name: string,
  start: () => Promise<RunningEngine>,
  options: ContractOptions = {},
): void {
  const maxTokens = options.maxTokens ?? 8;
  const timeout = options.timeoutMs ?? 120_000;
  const suite = options.skipAll === undefined ? { timeout: timeout * 8 } : { skip: options.skipAll };
  describe(`${name} engine contract`, suite, () => {
    let subject: ContractSubject | undefined;
    let pool: Pool | undefined;
    before(async () => {
      const engine = await start();
      const described = contractSubject(engine, options.recorded ?? false);
      subject = options.loadVia === 'chat' ? { ...described, target: described.chatTarget } : described;
      pool = new Pool(new URL(engine.baseUrl).origin, { connections: 4, headersTimeout: 0, bodyTimeout: 0 });
    });
    after(async () => {
      await pool?.close();
      await subject?.engine.stop();
    });
    const ready = (): { subject: ContractSubject; pool: Pool } => {
      assert.ok(subject && pool, 'the engine did not start');
      return { subject, pool };
    };

    test('answers ready on its health endpoint', { timeout, ...skipOf(options, 'ready') }, async () => {
      const { subject } = ready();
      const response = await request(`${subject.engine.baseUrl}${subject.healthPath}`);
      await response.body.text();
      assert.equal(response.statusCode, 200);
    });

    test('streams a completion whose tokens the load client counts', {
      timeout,
      ...skipOf(options, 'stream'),
    }, async () => {
      const { subject, pool } = ready();
      assertAnswered(await send(pool, subject.target, maxTokens, timeout).done);
    });

    test('streams a chat completion', { timeout, ...skipOf(options, 'chat') }, async () => {
      const { subject, pool } = ready();
      assertAnswered(await send(pool, subject.chatTarget, maxTokens, timeout).done);
    });

    test('reports token usage the load client takes as the count', {
      timeout,
      ...skipOf(options, 'usage'),
    }, async () => {
      const { subject, pool } = ready();
      const record = await send(pool, subject.target, maxTokens, timeout).done;
      assertAnswered(record);
      assert.notEqual(
        record.outputTokenSource,
        'chunks',
        'the engine reported no usage: tokens were counted from chunks',
      );
      assert.ok(record.outputTokens >= record.arrivals.length, 'usage is below the chunks that carried text');
      if (subject.forcesLength) assert.equal(record.outputTokens, maxTokens, 'usage differs from the forced length');
    });

    test('a client cancel mid-stream is an aborted record and frees the engine', {
      timeout,
      ...skipOf(options, 'cancel'),
    }, async () => {
      const { subject, pool } = ready();
      const cancelled = await cancelAtFirstChunk(pool, subject.target, timeout);
      assert.equal(
        cancelled.error?.kind,
        'aborted',
        `the cancelled request ended as ${cancelled.error?.kind ?? 'success'}`,
      );
      assert.ok(cancelled.headersAtMs !== null, 'cancelled before the engine answered, not mid-stream');
      // with one slot, this only finishes if the cancelled generation stopped
      assertAnswered(await send(pool, subject.target, 2, timeout / 2).done);
    });

    test('serves Prometheus metrics with the counters kitt reads', {
      timeout,
      ...skipOf(options, 'metrics'),
    }, async () => {
      const { subject } = ready();
      const path = subject.target.metricsPath;
      assert.ok(path, `${name} declares no metrics endpoint: declare skips.metrics with the reason`);
      const scrape = await scrapeMetrics(subject.engine.baseUrl, path);
      assert.ok(scrape, `GET ${path} did not answer 200`);
      assert.ok(scrape.samples.length > 0, 'no samples');
      const names = new Set(scrape.samples.map((sample) => sample.name));
      assert.deepEqual(
        subject.counterNames.filter((counter) => !names.has(counter)),
        [],
        'counters kitt reads are missing',
      );
      if (subject.counterNames.length > 0) {
        assert.ok(
          crossCheckFinds(subject.engine.name, scrape),
          "kitt's engine cross-check recognises none of these counters",
        );
      }
    });

    test('a refused request is an error record, and the engine still serves', {
      timeout,
      ...skipOf(options, 'error'),
    }, async () => {
      const { subject, pool } = ready();
      const refused = await refusedRequest(pool, subject.target, timeout);
      assert.equal(refused.error?.kind, 'http-status', `a malformed body ended as ${refused.error?.kind ?? 'success'}`);
      assert.match(refused.error?.message ?? '', /^HTTP [45]\d\d: \S/, 'the error record carries no status and body');
      assertAnswered(await send(pool, subject.target, 2, timeout).done);
    });
  });
}
