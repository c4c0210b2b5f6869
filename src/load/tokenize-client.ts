import { request } from 'undici';
import { splitBaseUrl } from './load-target.js';

/**
 * Counts tokens with the engine's own tokenizer, BOS and other special tokens included, as the
 * prompt of a completion request is counted: POST {base}/tokenize (llama.cpp `{content}` →
 * `{tokens}`, vLLM `{model, prompt}` → `{count, tokens}`, kitt's embedded server as llama.cpp).
 * Not on the measured path, so plain undici `request` is fine.
 */
export type CountTokens = (text: string) => Promise<number>;

export function tokenizeClient(baseUrl: string, model: string, signal?: AbortSignal): CountTokens {
  const { origin, prefix } = splitBaseUrl(baseUrl);
  return async (text) => {
    const response = await request(`${origin}${prefix}/tokenize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // add_special: count BOS as the completion endpoint will (llama.cpp's /tokenize leaves it out by
      // default, so a 64-token prompt reached the server as 65); vLLM adds special tokens by default.
      body: JSON.stringify({ content: text, prompt: text, model, add_special: true }),
      signal,
    });
    const body = (await response.body.json()) as { count?: number; tokens?: unknown[] };
    if (response.statusCode !== 200) throw new Error(`POST /tokenize answered ${response.statusCode}`);
    const count = typeof body.count === 'number' ? body.count : body.tokens?.length;
    if (typeof count !== 'number') throw new Error('POST /tokenize answered without tokens');
    return count;
  };
}
