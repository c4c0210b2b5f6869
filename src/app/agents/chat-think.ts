import { type Dispatcher, Pool } from 'undici';
import type { AgentMessage } from '../../agents/conversation.js';
import type { ThinkError, ThinkOutcome } from '../../agents/step-record.js';
import type { Clock } from '../../core/clock.js';
import { createSseSplitter } from '../../load/frame-splitter.js';
import { splitBaseUrl } from '../../load/load-target.js';

/** Where thinks go: an OpenAI-compatible chat endpoint, its model and the headers every request carries. */
export interface ChatEndpoint {
  readonly baseUrl: string;
  readonly model: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface ThinkClientOptions {
  readonly clock: Clock;
  readonly connections: number;
  readonly maxTokens: number;
  /** OpenAI `tools` (function schemas); dropped for the rest of the run if the server refuses them. */
  readonly tools: readonly unknown[];
  readonly seed: number;
  readonly timeoutMs: number;
  /** Told once, when the server refused the `tools` field and thinks went on without it. */
  onToolsRefused?(message: string): void;
}

export interface ThinkClient {
  think(messages: readonly AgentMessage[], signal: AbortSignal): Promise<ThinkOutcome>;
  close(): Promise<void>;
}

/** llama-server without --jinja answers 400/500 "tools param requires --jinja flag"; others name `tools` too. */
const TOOLS_REFUSED = /tool|jinja/i;

/**
 * Streams chat completions through an undici Pool (no fetch on the measured path), stamping every
 * body chunk with the monotonic clock as undici hands it over, before framing or parsing, as the
 * load client does: TTFT = first content or tool-call chunk − send, E2E = end of body − send.
 * Each SSE payload is parsed whole: a think is a few dozen chunks, not the load generator's loop.
 */
export function createThinkClient(endpoint: ChatEndpoint, options: ThinkClientOptions): ThinkClient {
  const { origin, prefix } = splitBaseUrl(endpoint.baseUrl);
  const pool = new Pool(origin, {
    connections: options.connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  const headers = { 'content-type': 'application/json', ...endpoint.headers };
  let sendTools = options.tools.length > 0;
  const body = (messages: readonly AgentMessage[]) =>
    JSON.stringify({
      model: endpoint.model,
      messages,
      max_tokens: options.maxTokens,
      stream: true,
      stream_options: { include_usage: true },
      seed: options.seed,
      ...(sendTools ? { tools: options.tools, tool_choice: 'auto' } : {}),
    });
  const send = (messages: readonly AgentMessage[], signal: AbortSignal) => {
    const exchange = new ThinkExchange(options.clock, options.timeoutMs, signal);
    try {
      pool.dispatch(
        { origin, path: `${prefix}/v1/chat/completions`, method: 'POST', headers, body: body(messages) },
        exchange,
      );
    } catch (error) {
      exchange.onResponseError(null, error instanceof Error ? error : new Error(String(error)));
    }
    return exchange.done;
  };
  return {
    async think(messages, signal) {
      const outcome = await send(messages, signal);
      if (sendTools && outcome.error?.kind === 'http-status' && TOOLS_REFUSED.test(outcome.error.message)) {
        sendTools = false;
        options.onToolsRefused?.(outcome.error.message);
        return send(messages, signal);
      }
      return outcome;
    },
    close: () => pool.close(),
  };
}

const ERROR_BODY_LIMIT = 512;

interface ToolCallParts {
  name: string;
  arguments: string;
}

class ThinkExchange implements Dispatcher.DispatchHandler {
  readonly done: Promise<ThinkOutcome>;
  private resolve!: (outcome: ThinkOutcome) => void;
  private readonly sentAtMs: number;
  private firstTokenAtMs: number | null = null;
  private status = 0;
  private errorBody: Buffer[] | null = null;
  private text = '';
  private chunks = 0;
  private readonly toolCalls: ToolCallParts[] = [];
  private promptTokens: number | null = null;
  private completionTokens: number | null = null;
  private cachedTokens: number | null = null;
  private serverError: string | null = null;
  private protocolError: string | null = null;
  private complete = false;
  private controller: Dispatcher.DispatchController | null = null;
  private abortReason: ThinkError | null = null;
  private finished = false;
  /** Arrival time of the chunk being framed now. */
  private atMs = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly onAbort = () => this.abort({ kind: 'aborted', message: 'the run was interrupted' });
  private readonly splitter = createSseSplitter((payload) => this.onPayload(payload));

  constructor(
    private readonly clock: Clock,
    timeoutMs: number,
    private readonly signal: AbortSignal,
  ) {
    this.done = new Promise((resolve) => {
      this.resolve = resolve;
    });
    this.sentAtMs = clock.nowMs();
    this.timer = setTimeout(
      () => this.abort({ kind: 'timeout', message: `no complete answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
    if (signal.aborted) this.onAbort();
    else signal.addEventListener('abort', this.onAbort, { once: true });
  }

  private abort(reason: ThinkError): void {
    if (this.finished || this.abortReason) return;
    this.abortReason = reason;
    this.controller?.abort(new Error(reason.message));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortReason) controller.abort(new Error(this.abortReason.message));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode;
    if (statusCode < 200 || statusCode >= 300) this.errorBody = [];
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const atMs = this.clock.nowMs();
    if (this.errorBody !== null) {
      if (Buffer.concat(this.errorBody).length < ERROR_BODY_LIMIT) this.errorBody.push(chunk);
      return;
    }
    this.atMs = atMs;
    this.splitter.push(chunk);
  }

  private onPayload(payload: Buffer): void {
    const text = payload.toString('utf8');
    if (text === '[DONE]') {
      this.complete = true;
      return;
    }
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      this.protocolError ??= `not JSON: ${text.slice(0, 80)}`;
      return;
    }
    if (json.error !== undefined) this.serverError ??= JSON.stringify(json.error).slice(0, ERROR_BODY_LIMIT);
    const choice = (json.choices as Array<Record<string, unknown>> | undefined)?.[0];
    const delta = (choice?.delta ?? choice?.message) as Record<string, unknown> | undefined;
    const content = typeof delta?.content === 'string' ? delta.content : '';
    const calls = Array.isArray(delta?.tool_calls) ? (delta.tool_calls as Array<Record<string, unknown>>) : [];
    if (content !== '' || calls.length > 0) {
      this.firstTokenAtMs ??= this.atMs;
      this.chunks++;
    }
    this.text += content;
    for (const call of calls) this.addToolCall(call);
    this.readUsage(json);
  }

  private addToolCall(call: Record<string, unknown>): void {
    const index = typeof call.index === 'number' ? call.index : this.toolCalls.length;
    const fn = (call.function ?? {}) as Record<string, unknown>;
    const parts = this.toolCalls[index] ?? { name: '', arguments: '' };
    this.toolCalls[index] = parts;
    if (typeof fn.name === 'string') parts.name += fn.name;
    if (typeof fn.arguments === 'string') parts.arguments += fn.arguments;
  }

  private readUsage(json: Record<string, unknown>): void {
    const usage = json.usage as Record<string, unknown> | undefined | null;
    const count = (value: unknown) =>
      typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : null;
    if (usage) {
      this.promptTokens = count(usage.prompt_tokens) ?? this.promptTokens;
      this.completionTokens = count(usage.completion_tokens) ?? this.completionTokens;
      const details = usage.prompt_tokens_details as Record<string, unknown> | undefined | null;
      this.cachedTokens = count(details?.cached_tokens) ?? this.cachedTokens;
    }
    const timings = json.timings as Record<string, unknown> | undefined | null;
    if (timings) this.cachedTokens = count(timings.cache_n) ?? this.cachedTokens;
  }

  onResponseEnd(): void {
    const endAtMs = this.clock.nowMs();
    if (this.errorBody !== null) {
      const body = Buffer.concat(this.errorBody).toString('utf8', 0, ERROR_BODY_LIMIT).trim();
      this.finish(endAtMs, { kind: 'http-status', message: `HTTP ${this.status}: ${body}` });
      return;
    }
    this.splitter.end();
    if (this.serverError) this.finish(endAtMs, { kind: 'http-status', message: this.serverError });
    else if (this.protocolError) this.finish(endAtMs, { kind: 'protocol', message: this.protocolError });
    else if (!this.complete) this.finish(endAtMs, { kind: 'connection', message: 'the stream ended before [DONE]' });
    else this.finish(endAtMs, null);
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    const code = (error as { code?: string }).code;
    this.finish(
      this.clock.nowMs(),
      this.abortReason ?? { kind: 'connection', message: code ? `${code}: ${error.message}` : error.message },
    );
  }

  private finish(endAtMs: number, error: ThinkError | null): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    this.signal.removeEventListener('abort', this.onAbort);
    this.resolve({
      sentAtMs: this.sentAtMs,
      firstTokenAtMs: this.firstTokenAtMs,
      endAtMs,
      promptTokens: this.promptTokens,
      outputTokens: this.completionTokens ?? this.chunks,
      cachedTokens: this.cachedTokens,
      text: this.text,
      toolCalls: this.toolCalls.filter((call) => call.name !== ''),
      error,
    });
  }
}
