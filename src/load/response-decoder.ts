import type { EngineReport } from '../metrics/request-record.js';
import { ArrivalLog } from './arrival-log.js';
import { createNdjsonSplitter, createSseSplitter, type FrameSplitter, MAX_FRAME_BYTES } from './frame-splitter.js';
import type { EngineReportStyle, LoadApi } from './load-target.js';

/**
 * Turns a response body into token arrivals, usage and the engine's own report.
 *
 * The caller stamps each network chunk on arrival (`push(chunk, atMs)`) before anything is parsed,
 * so parse time never leaks into TTFT or ITL. Per payload:
 * - content = `choices[0].delta.content` (chat), `choices[0].text` (completions), `message.content`
 *   (Ollama chat), `response` (Ollama generate); reasoning = `delta.reasoning_content` /
 *   `delta.reasoning` / Ollama `thinking`. An empty string is no token: a role-only first chunk
 *   (`{"role":"assistant","content":""}`) does not start TTFT.
 * - tokens per chunk: the growth of `usage.completion_tokens` when the server sends usage on every
 *   chunk (continuous usage), else 1 per non-empty chunk. The final `usage` / Ollama `eval_count` /
 *   llama.cpp `timings.predicted_n` stay the authoritative total (see DecodedResponse).
 */
export interface DecodedResponse {
  /** The token-carrying chunks as stamped; `toArrivals()` once the response is done. */
  readonly arrivals: ArrivalLog;
  firstContentAtMs: number | null;
  firstReasoningAtMs: number | null;
  lastContentAtMs: number | null;
  /** Server-reported usage, when sent. */
  promptTokens: number | null;
  completionTokens: number | null;
  engine: EngineReport | null;
  /** The stream's own end marker was seen ([DONE], done:true, or a complete non-streamed body). */
  complete: boolean;
  /** An error object the server put inside a 2xx body. */
  serverError: string | null;
  /** A payload that was not JSON. */
  protocolError: string | null;
  /** One event, line or non-streamed body passed the cap: the request ends, nothing more is read. */
  tooLarge: string | null;
  /**
   * A token count the server sent (usage, llama.cpp timings, Ollama counts) was not a plausible
   * count: why, e.g. `usage.completion_tokens -5`. Such counts are ignored, so the output falls
   * back to the tokens counted from the stream.
   */
  invalidUsage: string | null;
}

export interface ResponseDecoder {
  readonly result: DecodedResponse;
  push(chunk: Buffer, atMs: number): void;
  end(atMs: number): void;
}

type Json = Record<string, unknown>;

function emptyResult(): DecodedResponse {
  return {
    arrivals: new ArrivalLog(),
    firstContentAtMs: null,
    firstReasoningAtMs: null,
    lastContentAtMs: null,
    promptTokens: null,
    completionTokens: null,
    engine: null,
    complete: false,
    serverError: null,
    protocolError: null,
    tooLarge: null,
    invalidUsage: null,
  };
}

/**
 * Above any real request: ten million tokens is ~50x the longest context windows of the day. A
 * count past it, negative or fractional is a broken or hostile server (-290 tok/s, 5.9e16 tok/s).
 */
export const MAX_USAGE_TOKENS = 10_000_000;

/**
 * A token count as the server sent it: the number when it is an integer in [0, MAX_USAGE_TOKENS),
 * undefined when absent; `invalid` hears the field and value of anything else.
 */
export function usageCount(value: unknown, field: string, invalid: (why: string) => void): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < MAX_USAGE_TOKENS) return value;
  invalid(`${field} ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  return undefined;
}

const DONE = Buffer.from('[DONE]');

/** Key names the fast path reads, per API: the text channel and the reasoning channel(s). */
const FAST_KEYS: Record<LoadApi, { content: string; reasoning: readonly string[] }> = {
  'openai-chat': { content: 'content', reasoning: ['reasoning_content', 'reasoning'] },
  'openai-completions': { content: 'text', reasoning: [] },
  'ollama-chat': { content: 'content', reasoning: ['thinking'] },
  'ollama-generate': { content: 'response', reasoning: ['thinking'] },
};

/**
 * Every key the fast path cares about, with the first two characters of its value. One compiled
 * pass over the payload: a dozen Buffer.indexOf calls cost ~4 µs per token chunk, this ~0.4 µs.
 */
const FAST_SCAN =
  /"(content|text|response|reasoning_content|reasoning|thinking|usage|timings|error|done|choices)"\s*:\s*([\s\S])([\s\S])?/g;

/** What one fast scan found; `undefined` text: the key was absent (or not a string). */
interface FastScan {
  needsFullParse: boolean;
  content: boolean | undefined;
  reasoning: boolean;
  emptyChoices: boolean;
  /** An OpenAI `usage` object of numbers only (the final chunk's token counts). */
  usage: Json | undefined;
}

const OPENAI_APIS: ReadonlySet<LoadApi> = new Set(['openai-chat', 'openai-completions']);

/**
 * The `usage` object whose `{` is at `open`, when it holds no nested object: JSON.parse of that
 * slice alone is exact. Undefined when it nests (`prompt_tokens_details: {…}`) or does not parse;
 * the caller then takes the full parse.
 */
function flatObjectAt(text: string, open: number): { value: Json; end: number } | undefined {
  const close = text.indexOf('}', open);
  const nested = text.indexOf('{', open + 1);
  if (close === -1 || (nested !== -1 && nested < close)) return undefined;
  try {
    const value = asObject(JSON.parse(text.slice(open, close + 1)));
    return value === undefined ? undefined : { value, end: close + 1 };
  } catch {
    return undefined;
  }
}

/** Buffer#latin1Slice, untyped in @types/node: toString('latin1') adds argument checks to every token chunk. */
const latin1: (bytes: Buffer) => string =
  typeof (Buffer.prototype as { latin1Slice?: unknown }).latin1Slice === 'function'
    ? (bytes) => (bytes as unknown as { latin1Slice(start: number, end: number): string }).latin1Slice(0, bytes.length)
    : (bytes) => bytes.toString('latin1');

function scanFast(text: string, api: LoadApi): FastScan {
  const keys = FAST_KEYS[api];
  const found: FastScan = {
    needsFullParse: false,
    content: undefined,
    reasoning: false,
    emptyChoices: false,
    usage: undefined,
  };
  FAST_SCAN.lastIndex = 0;
  for (let match = FAST_SCAN.exec(text); match !== null; match = FAST_SCAN.exec(text)) {
    const [, key, first, second] = match;
    const isString = first === '"';
    const nonEmpty = isString && second !== '"';
    if (key === keys.content) {
      if (isString) found.content ??= nonEmpty;
    } else if (keys.reasoning.includes(key!)) {
      found.reasoning ||= nonEmpty;
    } else if (key === 'choices') {
      found.emptyChoices ||= first === '[' && second === ']';
    } else if (key === 'usage' && first === '{') {
      // Ollama has no usage: its full parse ignores the key too.
      if (!OPENAI_APIS.has(api)) continue;
      const usage = flatObjectAt(text, match.index + match[0].length - (second === undefined ? 1 : 2));
      if (usage === undefined || found.usage !== undefined) {
        found.needsFullParse = true;
        return found;
      }
      found.usage = usage.value;
      FAST_SCAN.lastIndex = usage.end;
    } else if (key === 'timings' || (key === 'error' && first !== 'n') || (key === 'done' && first === 't')) {
      found.needsFullParse = true;
      return found;
    }
  }
  return found;
}

export function createResponseDecoder(
  api: LoadApi,
  options: {
    stream: boolean;
    continuousUsage: boolean;
    /** false: JSON.parse every payload (the reference the fast scan is tested against). Default true. */
    fastScan?: boolean;
    /** Which engine report the responses carry (the target's capability); default: by API. */
    report?: EngineReportStyle | undefined;
  },
): ResponseDecoder {
  const fast = options.fastScan ?? true;
  const report = options.report ?? (api === 'ollama-generate' || api === 'ollama-chat' ? 'eval-durations' : 'timings');
  return options.stream
    ? new StreamDecoder(api, options.continuousUsage, fast, report)
    : new BodyDecoder(api, false, false, report);
}

/** What one parsed payload carried. */
interface PayloadView {
  content: string | undefined;
  reasoning: string | undefined;
  usage: Json | undefined;
  done: boolean;
}

function asObject(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null ? (value as Json) : undefined;
}

function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function asText(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function viewOpenAi(api: LoadApi, json: Json): PayloadView {
  const choice = asObject((json.choices as unknown[] | undefined)?.[0]);
  let content: string | undefined;
  let reasoning: string | undefined;
  if (choice) {
    if (api === 'openai-chat') {
      const delta = asObject(choice.delta) ?? asObject(choice.message);
      content = asText(delta?.content);
      reasoning = asText(delta?.reasoning_content) ?? asText(delta?.reasoning);
    } else {
      content = asText(choice.text);
    }
  }
  return { content, reasoning, usage: asObject(json.usage), done: false };
}

function viewOllama(api: LoadApi, json: Json): PayloadView {
  const message = api === 'ollama-chat' ? asObject(json.message) : json;
  const content = asText(api === 'ollama-chat' ? message?.content : json.response);
  const reasoning = asText(message?.thinking);
  return { content, reasoning, usage: undefined, done: json.done === true };
}

/** llama.cpp `timings` (every response of llama-server, also the last streamed chunk). */
export function engineReportFromLlamaCpp(timings: Json, invalid: (why: string) => void = () => {}): EngineReport {
  const predictedN = usageCount(timings.predicted_n, 'timings.predicted_n', invalid);
  const predictedMs = asNumber(timings.predicted_ms);
  return compact({
    promptTokens: usageCount(timings.prompt_n, 'timings.prompt_n', invalid),
    completionTokens: predictedN,
    promptMs: asNumber(timings.prompt_ms),
    generationMs: predictedMs,
    tpotMs: asNumber(timings.predicted_per_token_ms),
    cachedTokens: asNumber(timings.cache_n),
  });
}

/** Ollama's final object: durations in nanoseconds. */
export function engineReportFromOllama(json: Json, invalid: (why: string) => void = () => {}): EngineReport {
  const nsToMs = (value: unknown) => {
    const ns = asNumber(value);
    return ns === undefined ? undefined : ns / 1e6;
  };
  const evalCount = usageCount(json.eval_count, 'eval_count', invalid);
  const generationMs = nsToMs(json.eval_duration);
  return compact({
    promptTokens: usageCount(json.prompt_eval_count, 'prompt_eval_count', invalid),
    completionTokens: evalCount,
    promptMs: nsToMs(json.prompt_eval_duration),
    generationMs,
    tpotMs: evalCount && generationMs !== undefined ? generationMs / evalCount : undefined,
    loadMs: nsToMs(json.load_duration),
    totalMs: nsToMs(json.total_duration),
  });
}

function compact(report: Record<string, number | undefined>): EngineReport {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(report)) if (value !== undefined) out[key] = value;
  return out as EngineReport;
}

abstract class BaseDecoder implements ResponseDecoder {
  readonly result = emptyResult();
  /** completion_tokens seen on the last chunk that carried usage. */
  private usageSoFar = 0;

  /** continuousUsage: the server puts cumulative usage on every chunk, so each chunk's growth is its token count. */
  constructor(
    protected readonly api: LoadApi,
    private readonly continuousUsage: boolean,
    private readonly fastScan: boolean,
    private readonly report: EngineReportStyle,
  ) {}

  abstract push(chunk: Buffer, atMs: number): void;
  abstract end(atMs: number): void;

  protected accept(payload: Buffer, atMs: number): void {
    if (this.acceptFast(payload, atMs)) return;
    let json: Json | undefined;
    try {
      json = asObject(JSON.parse(payload.toString('utf8')));
    } catch {
      this.result.protocolError ??= `not JSON: ${payload.toString('utf8', 0, Math.min(payload.length, 80))}`;
      return;
    }
    if (!json) return;
    if (json.error !== undefined && json.error !== null) {
      const error = asObject(json.error);
      this.result.serverError ??= String(error?.message ?? json.error);
      return;
    }
    const ollama = this.api === 'ollama-chat' || this.api === 'ollama-generate';
    const view = ollama ? viewOllama(this.api, json) : viewOpenAi(this.api, json);
    this.record(view, atMs);
    if (ollama && view.done) this.result.complete = true;
    if (this.report === 'eval-durations' && view.done) this.result.engine = engineReportFromOllama(json, this.invalid);
    const timings = this.report === 'timings' ? asObject(json.timings) : undefined;
    if (timings) this.result.engine = engineReportFromLlamaCpp(timings, this.invalid);
  }

  /**
   * The common token chunk, read without JSON.parse: when the payload has no timings, error, end
   * marker or nested usage, only "is there non-empty text, and on which channel" matters, and the
   * final chunk's flat usage object is parsed alone. A key pattern
   * such as `"content":"` cannot occur inside a JSON string value (its quotes would be escaped), so
   * a byte search is exact. Anything else takes the full parse.
   */
  private acceptFast(payload: Buffer, atMs: number): boolean {
    if (this.continuousUsage || !this.fastScan) return false;
    // latin1 keeps one character per byte: key names are ASCII, and only emptiness of values matters.
    const scan = scanFast(latin1(payload), this.api);
    if (scan.needsFullParse) return false;
    // No text key at all: only plain envelopes (no choices text) are safe to read without parsing.
    if (scan.content === undefined && !scan.reasoning && !scan.emptyChoices) return false;
    if (scan.content === undefined && !scan.reasoning && scan.usage === undefined) return true;
    this.record(
      {
        content: scan.content === true ? 'x' : undefined,
        reasoning: scan.reasoning ? 'x' : undefined,
        usage: scan.usage,
        done: false,
      },
      atMs,
    );
    return true;
  }

  /** Keeps the first reason only: one broken count makes the whole response's counts suspect. */
  protected readonly invalid = (why: string): void => {
    this.result.invalidUsage ??= `${why} is not a token count (a non-negative integer below ${MAX_USAGE_TOKENS})`;
  };

  private record(view: PayloadView, atMs: number): void {
    const result = this.result;
    let tokens = 1;
    const completion = usageCount(view.usage?.completion_tokens, 'usage.completion_tokens', this.invalid);
    const prompt = usageCount(view.usage?.prompt_tokens, 'usage.prompt_tokens', this.invalid);
    if (completion !== undefined) {
      tokens = Math.max(0, completion - this.usageSoFar);
      this.usageSoFar = completion;
      result.completionTokens = completion;
      result.promptTokens = prompt ?? result.promptTokens;
    }
    if (!this.continuousUsage || completion === undefined) tokens = 1;
    if (view.reasoning !== undefined) {
      result.firstReasoningAtMs ??= atMs;
      if (view.content === undefined && tokens > 0) result.arrivals.push(atMs, tokens, 'reasoning');
    }
    if (view.content !== undefined) {
      result.firstContentAtMs ??= atMs;
      result.lastContentAtMs = atMs;
      if (tokens > 0) result.arrivals.push(atMs, tokens, 'content');
    }
  }
}

class StreamDecoder extends BaseDecoder {
  private readonly splitter: FrameSplitter;
  private atMs = 0;

  constructor(api: LoadApi, continuousUsage: boolean, fastScan: boolean, report: EngineReportStyle) {
    super(api, continuousUsage, fastScan, report);
    const sse = api === 'openai-chat' || api === 'openai-completions';
    this.splitter = sse
      ? createSseSplitter((payload) => {
          if (payload.length === DONE.length && payload.equals(DONE)) this.result.complete = true;
          else this.accept(payload, this.atMs);
        })
      : createNdjsonSplitter((payload) => this.accept(payload, this.atMs));
  }

  push(chunk: Buffer, atMs: number): void {
    this.atMs = atMs;
    this.splitter.push(chunk);
    if (this.splitter.overflowed) {
      this.result.tooLarge ??= `one streamed event is over ${MAX_FRAME_BYTES / (1024 * 1024)} MiB`;
    }
  }

  end(atMs: number): void {
    this.atMs = atMs;
    this.splitter.end();
  }
}

/** A non-streamed response: one JSON body, all tokens arrive when it completes. */
class BodyDecoder extends BaseDecoder {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;

  push(chunk: Buffer): void {
    if (this.result.tooLarge !== null) return;
    this.bytes += chunk.length;
    if (this.bytes > MAX_FRAME_BYTES) {
      this.result.tooLarge = `the response body is over ${MAX_FRAME_BYTES / (1024 * 1024)} MiB`;
      this.chunks.length = 0;
      return;
    }
    this.chunks.push(chunk);
  }

  end(atMs: number): void {
    if (this.result.tooLarge !== null) return;
    const body = Buffer.concat(this.chunks, this.bytes);
    this.accept(body, atMs);
    const result = this.result;
    if (result.protocolError !== null || result.serverError !== null) return;
    result.complete = true;
    // One arrival carrying the whole answer.
    const total = result.completionTokens ?? result.engine?.completionTokens;
    if (total !== undefined && total !== null && result.invalidUsage === null) result.arrivals.setLastTokens(total);
  }
}
