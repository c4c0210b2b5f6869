import type { LoadTarget } from './load-target.js';

/** One prompt ready to send: its text, its length when known, and how many tokens to ask for. */
export interface PreparedPrompt {
  readonly text: string;
  /** Input tokens of `text` as the engine's tokenizer counts them; null when only approximate. */
  readonly inputTokens: number | null;
  /** Output tokens to request (max_tokens / num_predict). */
  readonly maxTokens: number;
}

/**
 * The JSON body for one request. Output length: `max_tokens` everywhere, plus `ignore_eos` (and
 * `min_tokens`) where the server supports them so every answer has exactly max_tokens tokens;
 * Ollama has only `num_predict` (an upper bound), which the runner warns about.
 */
export function buildRequestBody(target: LoadTarget, prompt: PreparedPrompt): string {
  const stream = target.stream ?? true;
  const { supports } = target;
  switch (target.api) {
    case 'openai-completions':
    case 'openai-chat': {
      const body: Record<string, unknown> = { model: target.model, max_tokens: prompt.maxTokens, stream };
      if (target.api === 'openai-chat') body.messages = [{ role: 'user', content: prompt.text }];
      else body.prompt = prompt.text;
      if (stream) {
        body.stream_options =
          supports.usage === 'continuous'
            ? { include_usage: true, continuous_usage_stats: true }
            : { include_usage: true };
      }
      if (supports.ignoreEos) body.ignore_eos = true;
      if (supports.minTokens) body.min_tokens = prompt.maxTokens;
      return JSON.stringify(body);
    }
    case 'ollama-generate':
    case 'ollama-chat': {
      const body: Record<string, unknown> = { model: target.model, stream, options: { num_predict: prompt.maxTokens } };
      if (target.api === 'ollama-chat') body.messages = [{ role: 'user', content: prompt.text }];
      else body.prompt = prompt.text;
      return JSON.stringify(body);
    }
  }
}
