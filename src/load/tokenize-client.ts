import { type ReadLimits, requestBounded } from '../core/bounded-request.js';
import { splitBaseUrl } from './load-target.js';

/**
 * Counts tokens with the engine's own tokenizer, BOS and other special tokens included, as the
 * prompt of a completion request is counted: POST {base}/tokenize (llama.cpp `{content}` →
 * `{tokens}`, vLLM `{model, prompt}` → `{count, tokens}`, kitt's embedded server as llama.cpp).
 * Not on the measured path: one bounded exchange per prompt.
 */
export type CountTokens = (text: string) => Promise<number>;

/**
 * Limits of one /tokenize call: the answer lists token ids (a few bytes each), so 16 MiB covers a
 * prompt of millions of tokens; 10 s covers a slow tokenizer on a loaded CPU engine. A server past
 * either fails the call, and the run falls back to approximate input lengths instead of hanging.
 */
export const TOKENIZE_READ_LIMITS: ReadLimits = { maxBytes: 16 * 1024 * 1024, deadlineMs: 10_000 };

export function tokenizeClient(
  baseUrl: string,
  model: string,
  signal?: AbortSignal,
  limits: ReadLimits = TOKENIZE_READ_LIMITS,
  /** The target's own headers (its key), merged once here rather than per call. */
  targetHeaders: Readonly<Record<string, string>> = {},
): CountTokens {
  const { origin, prefix } = splitBaseUrl(baseUrl);
  const headers = { ...targetHeaders, 'content-type': 'application/json' };
  return async (text) => {
    const response = await requestBounded(`${origin}${prefix}/tokenize`, {
      ...limits,
      method: 'POST',
      headers,
      // add_special: count BOS as the completion endpoint will (llama.cpp's /tokenize leaves it out by
      // default, so a 64-token prompt reached the server as 65); vLLM adds special tokens by default.
      body: JSON.stringify({ content: text, prompt: text, model, add_special: true }),
      ...(signal ? { signal } : {}),
    });
    if (response.statusCode !== 200) throw new Error(`POST /tokenize answered ${response.statusCode}`);
    const body = JSON.parse(response.body.toString('utf8')) as { count?: number; tokens?: unknown[] };
    const count = typeof body.count === 'number' ? body.count : body.tokens?.length;
    if (typeof count !== 'number') throw new Error('POST /tokenize answered without tokens');
    return count;
  };
}
