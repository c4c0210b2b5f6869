import type { Dispatcher } from 'undici';
import type { Clock } from '../core/clock.js';
import type { RequestError, RequestRecord, RunPhase } from '../metrics/request-record.js';
import { apiPath, type LoadTarget, splitBaseUrl } from './load-target.js';
import { buildRequestBody, type PreparedPrompt } from './request-body.js';
import { createResponseDecoder, type ResponseDecoder } from './response-decoder.js';
import type { SocketStamps } from './socket-stamps.js';

/** Who a request is and where it sits on the schedule. */
export interface RequestSlot {
  readonly id: number;
  readonly phase: RunPhase;
  readonly stage: number;
  readonly scheduledAtMs: number;
  readonly queuedMs: number;
}

export interface SendOptions {
  readonly clock: Clock;
  /** Stamps body chunks when they reached the socket; without it, when the loop read them. */
  readonly stamps?: SocketStamps;
  /** Where and with which headers requests go; made once per stage (default: from the target, per request). */
  readonly endpoint?: RequestEndpoint;
  /** Whole-request deadline from the send, in ms. */
  readonly timeoutMs: number;
  /** Tag put in the x-request-id header: `<tag>-<id>`, so server logs can be matched to records. */
  readonly requestTag?: string;
}

/** The origin undici connects to, the request path and the headers every request of a target carries. */
export interface RequestEndpoint {
  readonly origin: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

export function endpointFor(target: LoadTarget): RequestEndpoint {
  const { origin, prefix } = splitBaseUrl(target.baseUrl);
  return {
    origin,
    path: prefix + apiPath(target.api),
    headers: { 'content-type': 'application/json', ...target.headers },
  };
}

/** A request in flight; `abort` ends it with kind 'aborted' (the run was interrupted). */
export interface InFlightRequest {
  readonly done: Promise<RequestRecord>;
  abort(): void;
}

const ERROR_BODY_LIMIT = 512;

class TimeoutError extends Error {}
class InterruptError extends Error {}
class TooLargeError extends Error {}

/**
 * Sends one request through an undici dispatcher and resolves with its record. Never rejects:
 * refused connections, non-2xx answers, broken streams and timeouts become records with an error
 * kind. Every body chunk is stamped when its bytes reached the socket (SocketStamps), or else with
 * the monotonic clock the moment undici hands it over, before framing or JSON parsing.
 */
export function sendRequest(
  dispatcher: Dispatcher,
  target: LoadTarget,
  prompt: PreparedPrompt,
  slot: RequestSlot,
  options: SendOptions,
): InFlightRequest {
  let current = startExchange(dispatcher, target, prompt, slot, options);
  let interrupted = false;
  const done = current.done.then((record) => {
    if (interrupted || !closedBeforeAnswering(record)) return record;
    // The server closed an idle keep-alive socket just as the request went out on it (llama.cpp's
    // HTTP server ends a connection after a few requests). Nothing reached the engine, so the
    // request is sent again on a fresh connection, once, as browsers do; its scheduled time is
    // kept, so the lost milliseconds still count in queue and schedule-relative latency.
    current = startExchange(dispatcher, target, prompt, slot, options);
    return current.done.then((resent): RequestRecord => ({ ...resent, retries: 1 }));
  });
  return {
    done,
    abort: () => {
      interrupted = true;
      current.abort(new InterruptError('the run was interrupted'));
    },
  };
}

/** Longest time a stale keep-alive socket takes to fail a request: the close is already queued. */
const STALE_SOCKET_MS = 100;

function closedBeforeAnswering(record: RequestRecord): boolean {
  return (
    record.error?.kind === 'connection' &&
    record.headersAtMs === null &&
    record.sentAtMs !== null &&
    record.endAtMs - record.sentAtMs < STALE_SOCKET_MS &&
    /UND_ERR_SOCKET|ECONNRESET|EPIPE/.test(record.error.message)
  );
}

function startExchange(
  dispatcher: Dispatcher,
  target: LoadTarget,
  prompt: PreparedPrompt,
  slot: RequestSlot,
  options: SendOptions,
): Exchange {
  const { origin, path, headers: base } = options.endpoint ?? endpointFor(target);
  const body = buildRequestBody(target, prompt, slot.id);
  const headers =
    options.requestTag === undefined ? base : { ...base, 'x-request-id': `${options.requestTag}-${slot.id}` };
  const exchange = new Exchange(target, prompt, slot, options);
  exchange.sentAtMs = options.clock.nowMs();
  exchange.startTimer();
  try {
    dispatcher.dispatch({ origin, path, method: 'POST', headers, body }, exchange);
  } catch (error) {
    exchange.onResponseError(null, error instanceof Error ? error : new Error(String(error)));
  }
  return exchange;
}

class Exchange implements Dispatcher.DispatchHandler {
  readonly done: Promise<RequestRecord>;
  sentAtMs = 0;
  private resolve!: (record: RequestRecord) => void;
  private controller: Dispatcher.DispatchController | null = null;
  private pendingAbort: Error | null = null;
  private headersAtMs: number | null = null;
  private status = 0;
  private errorBody: Buffer[] | null = null;
  private errorBytes = 0;
  private readonly decoder: ResponseDecoder;
  private timer: NodeJS.Timeout | null = null;
  private finished = false;

  constructor(
    target: LoadTarget,
    private readonly prompt: PreparedPrompt,
    private readonly slot: RequestSlot,
    private readonly options: SendOptions,
  ) {
    this.done = new Promise((resolve) => {
      this.resolve = resolve;
    });
    this.decoder = createResponseDecoder(target.api, {
      stream: target.stream ?? true,
      continuousUsage: target.supports.usage === 'continuous',
      report: target.supports.report,
    });
  }

  startTimer(): void {
    this.timer = setTimeout(
      () => this.abort(new TimeoutError(`no complete answer within ${this.options.timeoutMs} ms`)),
      this.options.timeoutMs,
    );
  }

  abort(reason: Error): void {
    if (this.finished) return;
    if (this.controller) this.controller.abort(reason);
    else this.pendingAbort = reason;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.pendingAbort) controller.abort(this.pendingAbort);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.headersAtMs = this.options.clock.nowMs();
    this.status = statusCode;
    if (statusCode < 200 || statusCode >= 300) this.errorBody = [];
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const loopMs = this.options.clock.nowMs();
    const atMs = this.options.stamps ? this.options.stamps.arrivedAtMs(chunk, loopMs) : loopMs;
    if (this.errorBody !== null) {
      if (this.errorBytes < ERROR_BODY_LIMIT) this.errorBody.push(chunk);
      this.errorBytes += chunk.length;
      return;
    }
    this.decoder.push(chunk, atMs);
    const tooLarge = this.decoder.result.tooLarge;
    if (tooLarge !== null) this.abort(new TooLargeError(tooLarge));
  }

  onResponseEnd(): void {
    const endAtMs = this.options.clock.nowMs();
    if (this.errorBody !== null) {
      const text = Buffer.concat(this.errorBody).toString('utf8', 0, ERROR_BODY_LIMIT).trim();
      this.finish(endAtMs, { kind: 'http-status', status: this.status, message: `HTTP ${this.status}: ${text}` });
      return;
    }
    this.decoder.end(endAtMs);
    const decoded = this.decoder.result;
    if (decoded.serverError !== null) this.finish(endAtMs, { kind: 'http-status', message: decoded.serverError });
    else if (decoded.protocolError !== null) this.finish(endAtMs, { kind: 'protocol', message: decoded.protocolError });
    else if (!decoded.complete)
      this.finish(endAtMs, { kind: 'connection', message: 'the stream ended before its end marker' });
    else this.finish(endAtMs, null);
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    const endAtMs = this.options.clock.nowMs();
    this.finish(endAtMs, classifyError(error));
  }

  private finish(endAtMs: number, error: RequestError | null): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    const decoded = this.decoder.result;
    const clientCountedTokens = decoded.arrivals.tokens();
    const engine = decoded.engine;
    let outputTokens = clientCountedTokens;
    let outputTokenSource: RequestRecord['outputTokenSource'] = 'chunks';
    // A server that sent one implausible count is not trusted for the others: counted chunks only.
    const invalidUsage = decoded.invalidUsage;
    const trusted = invalidUsage === null;
    if (trusted && decoded.completionTokens !== null) {
      outputTokens = decoded.completionTokens;
      outputTokenSource = 'usage';
    } else if (trusted && engine?.completionTokens !== undefined) {
      outputTokens = engine.completionTokens;
      outputTokenSource = 'engine';
    }
    const { slot } = this;
    this.resolve({
      id: slot.id,
      phase: slot.phase,
      stage: slot.stage,
      scheduledAtMs: slot.scheduledAtMs,
      queuedMs: slot.queuedMs,
      sentAtMs: this.sentAtMs,
      headersAtMs: this.headersAtMs,
      firstContentAtMs: decoded.firstContentAtMs,
      firstReasoningAtMs: decoded.firstReasoningAtMs,
      lastContentAtMs: decoded.lastContentAtMs,
      endAtMs,
      promptTokens: (trusted ? (decoded.promptTokens ?? engine?.promptTokens) : null) ?? this.prompt.inputTokens,
      outputTokens,
      outputTokenSource,
      clientCountedTokens,
      arrivals: decoded.arrivals.toArrivals(),
      engine,
      error,
      ...(invalidUsage === null ? {} : { invalidUsage }),
    });
  }
}

function classifyError(error: Error): RequestError {
  if (error instanceof TimeoutError) return { kind: 'timeout', message: error.message };
  if (error instanceof InterruptError) return { kind: 'aborted', message: error.message };
  if (error instanceof TooLargeError) return { kind: 'response-too-large', message: error.message };
  const code = (error as { code?: string }).code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return { kind: 'timeout', message: error.message };
  }
  return { kind: 'connection', message: code ? `${code}: ${error.message}` : error.message };
}

/** A record for a request that was never sent (no free slot under the cap, policy 'drop'). */
export function droppedRecord(slot: RequestSlot): RequestRecord {
  return {
    id: slot.id,
    phase: slot.phase,
    stage: slot.stage,
    scheduledAtMs: slot.scheduledAtMs,
    queuedMs: 0,
    sentAtMs: null,
    headersAtMs: null,
    firstContentAtMs: null,
    firstReasoningAtMs: null,
    lastContentAtMs: null,
    endAtMs: slot.scheduledAtMs,
    promptTokens: null,
    outputTokens: 0,
    outputTokenSource: 'chunks',
    clientCountedTokens: 0,
    arrivals: [],
    engine: null,
    error: { kind: 'dropped', message: 'no free slot under the in-flight cap' },
  };
}
