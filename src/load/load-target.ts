/**
 * Where load goes and what the server there can do. The runner never guesses capabilities: a
 * missing one is reported as a warning (for example "ignore_eos unsupported: output lengths vary").
 */
export type LoadApi = 'openai-completions' | 'openai-chat' | 'ollama-generate' | 'ollama-chat';

export const LOAD_APIS: readonly LoadApi[] = ['openai-completions', 'openai-chat', 'ollama-generate', 'ollama-chat'];

export interface TargetSupports {
  /** The server honours `ignore_eos` (vLLM, llama.cpp, SGLang, kitt's embedded server); Ollama does not. */
  readonly ignoreEos: boolean;
  /** The server honours `min_tokens` (vLLM); sent beside `ignore_eos` when both exist. */
  readonly minTokens?: boolean;
  /** POST /tokenize exists (llama.cpp, vLLM, kitt's embedded server): prompt lengths can be exact. */
  readonly tokenize: boolean;
  /**
   * Token usage in streams: 'continuous' = usage on every chunk (vLLM `continuous_usage_stats`),
   * 'final' = one usage chunk at the end (`stream_options.include_usage`), 'none' = count chunks.
   */
  readonly usage: 'continuous' | 'final' | 'none';
  /**
   * The engine's own timing report inside responses: `timings` objects (llama.cpp-style),
   * `*_duration` nanosecond fields (Ollama-style), or none. Default: by API, timings for OpenAI
   * APIs and durations for Ollama's.
   */
  readonly report?: EngineReportStyle;
}

export type EngineReportStyle = 'timings' | 'eval-durations' | 'none';

export interface LoadTarget {
  /** e.g. http://127.0.0.1:8081 (a path prefix is kept: http://host/proxy → http://host/proxy/v1/...). */
  readonly baseUrl: string;
  readonly api: LoadApi;
  readonly model: string;
  readonly supports: TargetSupports;
  /** Stream responses (default true). Non-streamed requests only give end-to-end times. */
  readonly stream?: boolean;
  /**
   * Extra request headers (authorization, ...), sent on every request, /tokenize and /metrics read
   * of this target: merged once per stage, not per request. They may hold a key: a target is
   * never serialised into results.
   */
  readonly headers?: Readonly<Record<string, string>>;
  /** Where the engine's Prometheus text lives, relative to baseUrl; null to skip (default '/metrics'). */
  readonly metricsPath?: string | null;
}

/** The request path of each API. */
export function apiPath(api: LoadApi): string {
  switch (api) {
    case 'openai-completions':
      return '/v1/completions';
    case 'openai-chat':
      return '/v1/chat/completions';
    case 'ollama-generate':
      return '/api/generate';
    case 'ollama-chat':
      return '/api/chat';
  }
}

/** Splits a base URL into the origin undici connects to and the path prefix put before every path. */
export function splitBaseUrl(baseUrl: string): { readonly origin: string; readonly prefix: string } {
  const url = new URL(baseUrl);
  return { origin: url.origin, prefix: url.pathname.replace(/\/+$/, '') };
}
