import type { LlamaTextModel, ModelSlot } from './llama-text-model.js';
import type { GenerationParams } from './openai-request.js';

/** Per-request timings, named and computed as llama-server reports them. */
export interface GenerationTimings {
  /** Prompt tokens reused from a cache; always 0, since every request starts from an empty slot. */
  readonly cache_n: number;
  readonly prompt_n: number;
  readonly prompt_ms: number;
  readonly prompt_per_token_ms: number;
  readonly prompt_per_second: number;
  readonly predicted_n: number;
  readonly predicted_ms: number;
  readonly predicted_per_token_ms: number;
  readonly predicted_per_second: number;
}

export type FinishReason = 'stop' | 'length';

export interface GenerationOutcome {
  readonly text: string;
  readonly finishReason: FinishReason;
  readonly promptTokens: number;
  /** Tokens generated and sent; an end-of-generation token that ended the request is not one. */
  readonly completionTokens: number;
  readonly timings: GenerationTimings;
}

/** Longest byte-fallback run held back so a multi-byte character is sent whole. */
const MAX_PENDING_TOKENS = 4;
/** Tokens of context the detokenizer sees, so a piece keeps its leading space. */
const DETOKENIZE_CONTEXT = 4;

/** The end of the text that may still turn into a stop string: held back until it cannot. */
function heldBackLength(text: string, stops: readonly string[]): number {
  let held = 0;
  for (const stop of stops) {
    for (let length = Math.min(stop.length - 1, text.length); length > held; length -= 1) {
      if (text.endsWith(stop.slice(0, length))) {
        held = length;
        break;
      }
    }
  }
  return held;
}

function firstStopAt(text: string, from: number, stops: readonly string[]): number {
  let at = -1;
  for (const stop of stops) {
    const index = text.indexOf(stop, from);
    if (index >= 0 && (at < 0 || index < at)) at = index;
  }
  return at;
}

export function timingsOf(
  promptTokens: number,
  promptMs: number,
  predicted: number,
  predictedMs: number,
): GenerationTimings {
  const perToken = (ms: number, n: number) => (n > 0 ? ms / n : 0);
  const perSecond = (ms: number, n: number) => (ms > 0 ? (1_000 * n) / ms : 0);
  // As the pinned llama-server (server-common.h, n_gen_steps): the first token comes from the
  // prompt's logits, so generation time spans n − 1 decode steps and is divided by them.
  const steps = Math.max(0, predicted - 1);
  return {
    cache_n: 0,
    prompt_n: promptTokens,
    prompt_ms: promptMs,
    prompt_per_token_ms: perToken(promptMs, promptTokens),
    prompt_per_second: perSecond(promptMs, promptTokens),
    predicted_n: predicted,
    predicted_ms: predictedMs,
    predicted_per_token_ms: perToken(predictedMs, steps),
    predicted_per_second: perSecond(predictedMs, steps),
  };
}

export interface GenerateTextOptions {
  readonly model: LlamaTextModel;
  readonly slot: ModelSlot;
  readonly promptTokens: readonly number[];
  readonly params: GenerationParams;
  /** Called with each piece of text as it is decided, one per token unless a stop string or a split character holds text back. */
  readonly onText: (text: string) => void;
  /** Aborting stops generation at the next token and rejects with the reason. */
  readonly signal: AbortSignal;
}

/**
 * Generates from an emptied slot: prefill, then one token at a time until max_tokens, an
 * end-of-generation token (impossible while ignore_eos, or before min_tokens), a stop string, or
 * the slot's context is full. prompt_ms runs from the start to the first token (prefill plus its
 * sampling), predicted_ms from the first token to the last, as in llama-server.
 */
export async function generateText(options: GenerateTextOptions): Promise<GenerationOutcome> {
  const { model, slot, promptTokens, params, signal } = options;
  const room = model.contextSize - promptTokens.length;
  const limit = Math.min(params.maxTokens ?? room, room);
  const suppress = model.suppressEndOfGeneration();
  const plain = model.noBias();
  const generated: number[] = [];
  let pending: number[] = [];
  let text = '';
  let sent = 0;
  let finishReason: FinishReason = 'length';
  await slot.sequence.clearHistory();
  const startedAt = performance.now();
  let firstTokenAt = startedAt;
  let lastTokenAt = startedAt;
  if (limit > 0) {
    const tokens = slot.sequence.evaluate([...promptTokens] as never[], {
      temperature: params.temperature,
      topP: params.topP,
      topK: params.topK,
      seed: params.seed ?? Math.floor(Math.random() * 2 ** 31),
      yieldEogToken: true,
      tokenBias: () => (params.ignoreEos || generated.length < params.minTokens ? suppress : plain),
    });
    for await (const token of tokens as AsyncGenerator<number>) {
      signal.throwIfAborted();
      lastTokenAt = performance.now();
      if (generated.length === 0) firstTokenAt = lastTokenAt;
      if (model.isEndOfGeneration(token) && !params.ignoreEos) {
        finishReason = 'stop';
        break;
      }
      pending.push(token);
      const piece = model.detokenize(pending, generated.slice(-DETOKENIZE_CONTEXT));
      generated.push(token);
      if (!piece.endsWith('\uFFFD') || pending.length >= MAX_PENDING_TOKENS) {
        pending = [];
        text += piece;
        const stopAt = firstStopAt(text, sent, params.stop);
        if (stopAt >= 0) {
          text = text.slice(0, stopAt);
          finishReason = 'stop';
        }
        const end = stopAt >= 0 ? text.length : text.length - heldBackLength(text, params.stop);
        if (end > sent) {
          options.onText(text.slice(sent, end));
          sent = end;
        }
        if (stopAt >= 0) break;
      }
      if (generated.length >= limit) break;
    }
  }
  if (pending.length > 0 && finishReason === 'length') {
    text += model.detokenize(pending, generated.slice(-pending.length - DETOKENIZE_CONTEXT, -pending.length));
  }
  if (finishReason === 'length' && sent < text.length) options.onText(text.slice(sent));
  const predicted = generated.length;
  return {
    text,
    finishReason,
    promptTokens: promptTokens.length,
    completionTokens: predicted,
    timings: timingsOf(promptTokens.length, firstTokenAt - startedAt, predicted, lastTokenAt - firstTokenAt),
  };
}
