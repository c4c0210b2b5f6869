import { KittError } from '../core/errors.js';

/** Token usage an engine reported for one request. */
export interface ReportedUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

/** What a streamed OpenAI-style completion carried. */
export interface ParsedOpenAiStream {
  readonly text: string;
  /** Data events that carried text (a chunk may hold more than one token). */
  readonly textChunks: number;
  readonly usage?: ReportedUsage;
  readonly finishReason?: string;
  readonly sawDone: boolean;
}

/** Splits an SSE body into its `data:` payloads (events separated by blank lines). */
export function sseDataPayloads(body: string): string[] {
  return body
    .split(/\r?\n\r?\n/)
    .map((event) =>
      event
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n'),
    )
    .filter((data) => data.length > 0);
}

type OpenAiChunk = {
  choices?: Array<{ text?: string; delta?: { content?: string | null }; finish_reason?: string | null }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
};

/** Reads a `/v1/completions` or `/v1/chat/completions` SSE stream: text, chunk count, usage. */
export function parseOpenAiStream(body: string): ParsedOpenAiStream {
  let text = '';
  let textChunks = 0;
  let usage: ReportedUsage | undefined;
  let finishReason: string | undefined;
  let sawDone = false;
  for (const data of sseDataPayloads(body)) {
    if (data === '[DONE]') {
      sawDone = true;
      continue;
    }
    const chunk = JSON.parse(data) as OpenAiChunk;
    for (const choice of chunk.choices ?? []) {
      const piece = choice.text ?? choice.delta?.content ?? '';
      if (piece.length > 0) {
        text += piece;
        textChunks += 1;
      }
      if (choice.finish_reason) finishReason = choice.finish_reason;
    }
    if (chunk.usage && typeof chunk.usage.completion_tokens === 'number') {
      usage = { promptTokens: chunk.usage.prompt_tokens ?? 0, completionTokens: chunk.usage.completion_tokens };
    }
  }
  return { text, textChunks, sawDone, ...(usage ? { usage } : {}), ...(finishReason ? { finishReason } : {}) };
}

/** Ollama's own accounting from the final streamed object; durations in nanoseconds. */
export interface ParsedOllamaStream {
  readonly text: string;
  readonly usage: ReportedUsage;
  readonly totalDurationNs: number;
  readonly loadDurationNs: number;
  readonly promptEvalDurationNs: number;
  readonly evalDurationNs: number;
}

/** Reads an `/api/chat` or `/api/generate` NDJSON stream; fails when the final `done` object is missing. */
export function parseOllamaStream(body: string): ParsedOllamaStream {
  let text = '';
  for (const line of body.split('\n')) {
    if (line.trim() === '') continue;
    const object = JSON.parse(line) as Record<string, unknown> & { message?: { content?: string } };
    text += object.message?.content ?? (typeof object.response === 'string' ? object.response : '');
    if (object.done === true) {
      const number = (key: string) => (typeof object[key] === 'number' ? (object[key] as number) : 0);
      return {
        text,
        usage: { promptTokens: number('prompt_eval_count'), completionTokens: number('eval_count') },
        totalDurationNs: number('total_duration'),
        loadDurationNs: number('load_duration'),
        promptEvalDurationNs: number('prompt_eval_duration'),
        evalDurationNs: number('eval_duration'),
      };
    }
  }
  throw new KittError('ENGINE_FAILED', 'ollama stream ended without its final "done" object');
}

/** llama.cpp's server-side timings of one request (`/completion` or the OpenAI endpoints). */
export interface LlamaCppTimings {
  readonly promptTokens: number;
  readonly promptMs: number;
  readonly predictedTokens: number;
  readonly predictedMs: number;
  readonly cachedTokens?: number;
}

export function parseLlamaCppTimings(response: unknown): LlamaCppTimings {
  const timings = (response as { timings?: Record<string, number> }).timings;
  if (!timings || typeof timings.predicted_n !== 'number') {
    throw new KittError('ENGINE_FAILED', 'llama.cpp response has no timings');
  }
  return {
    promptTokens: timings.prompt_n ?? 0,
    promptMs: timings.prompt_ms ?? 0,
    predictedTokens: timings.predicted_n,
    predictedMs: timings.predicted_ms ?? 0,
    ...(typeof timings.cache_n === 'number' ? { cachedTokens: timings.cache_n } : {}),
  };
}

/** One sample of a Prometheus text exposition. */
export interface MetricSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/g;

/**
 * Parses the Prometheus text format (version 0.0.4) strictly enough to notice a broken endpoint:
 * a line that is neither a comment nor a sample is an error.
 */
export function parsePrometheusText(body: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const [index, raw] of body.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    const value = match
      ? Number(match[3] === '+Inf' ? Infinity : match[3] === '-Inf' ? -Infinity : match[3])
      : Number.NaN;
    if (!match || (Number.isNaN(value) && match[3] !== 'NaN')) {
      throw new KittError('ENGINE_FAILED', `metrics line ${index + 1} is not Prometheus text: ${line.slice(0, 80)}`);
    }
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(LABEL)) labels[label[1]!] = label[2]!.replace(/\\(.)/g, '$1');
    samples.push({ name: match[1]!, labels, value });
  }
  return samples;
}
