/** One chat message with its content flattened to text. */
export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** Sampling and length controls shared by both endpoints. */
export interface GenerationParams {
  /** Tokens to generate at most; undefined means until end-of-generation or the context is full. */
  readonly maxTokens: number | undefined;
  readonly temperature: number;
  readonly topP: number;
  readonly topK: number;
  readonly seed: number | undefined;
  readonly stop: readonly string[];
  /** Never end at an end-of-generation token: generate exactly maxTokens. */
  readonly ignoreEos: boolean;
  /** End-of-generation tokens are suppressed until this many tokens are out. */
  readonly minTokens: number;
}

export type GenerationInput =
  | { readonly kind: 'completion'; readonly prompt: string | readonly number[] }
  | { readonly kind: 'chat'; readonly messages: readonly ChatMessage[] };

export interface GenerationRequest {
  readonly model: string | undefined;
  readonly input: GenerationInput;
  readonly params: GenerationParams;
  readonly stream: boolean;
  /** `stream_options.include_usage`: a final chunk with usage and no choices. */
  readonly includeUsage: boolean;
}

/** A request the server answers with 400 and an OpenAI-style error body. */
export class BadRequestError extends Error {
  constructor(
    message: string,
    readonly param?: string,
  ) {
    super(message);
    this.name = 'BadRequestError';
  }
}

// llama-server's sampling defaults, so the same request samples alike on both
const DEFAULT_TEMPERATURE = 0.8;
const DEFAULT_TOP_P = 0.95;
const DEFAULT_TOP_K = 40;

type Body = Record<string, unknown>;

function optionalNumber(body: Body, key: string, min: number, max: number, integer = false): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new BadRequestError(`'${key}' must be a number from ${min} to ${max}`, key);
  }
  if (integer && !Number.isInteger(value)) throw new BadRequestError(`'${key}' must be an integer`, key);
  return value;
}

function optionalBoolean(body: Body, key: string): boolean | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new BadRequestError(`'${key}' must be true or false`, key);
  return value;
}

function parseStop(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
    return (value as string[]).filter((item) => item !== '');
  }
  throw new BadRequestError("'stop' must be a string or an array of strings", 'stop');
}

function parseParams(body: Body): GenerationParams {
  // -1 is llama.cpp's "no limit"
  const maxTokens =
    optionalNumber(body, 'max_completion_tokens', -1, 1 << 24, true) ??
    optionalNumber(body, 'max_tokens', -1, 1 << 24, true) ??
    optionalNumber(body, 'n_predict', -1, 1 << 24, true);
  const minTokens = optionalNumber(body, 'min_tokens', 0, 1 << 24, true) ?? 0;
  return {
    maxTokens: maxTokens === undefined || maxTokens < 0 ? undefined : maxTokens,
    temperature: optionalNumber(body, 'temperature', 0, 100) ?? DEFAULT_TEMPERATURE,
    topP: optionalNumber(body, 'top_p', 0, 1) ?? DEFAULT_TOP_P,
    topK: optionalNumber(body, 'top_k', 0, 1 << 20, true) ?? DEFAULT_TOP_K,
    seed: optionalNumber(body, 'seed', -(2 ** 31), 2 ** 32, true),
    stop: parseStop(body.stop),
    ignoreEos: optionalBoolean(body, 'ignore_eos') ?? false,
    minTokens,
  };
}

function parsePrompt(value: unknown): string | number[] {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    if (value.length === 1 && typeof value[0] === 'string') return value[0];
    if (value.length > 0 && value.every((item) => Number.isInteger(item) && item >= 0)) return value as number[];
  }
  throw new BadRequestError("'prompt' must be a string, a one-string array or an array of token ids", 'prompt');
}

/** OpenAI content is a string or a list of parts; only text parts carry meaning here. */
function flattenContent(content: unknown, index: number): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  if (Array.isArray(content)) {
    return content
      .map((part) => {
        if (
          part &&
          typeof part === 'object' &&
          (part as Body).type === 'text' &&
          typeof (part as Body).text === 'string'
        ) {
          return (part as Body).text as string;
        }
        throw new BadRequestError(`messages[${index}].content may hold only text parts`, 'messages');
      })
      .join('');
  }
  throw new BadRequestError(`messages[${index}].content must be a string or a list of text parts`, 'messages');
}

function parseMessages(value: unknown): ChatMessage[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new BadRequestError("'messages' must be a non-empty array", 'messages');
  }
  return value.map((message, index) => {
    if (!message || typeof message !== 'object')
      throw new BadRequestError(`messages[${index}] must be an object`, 'messages');
    const { role, content } = message as Body;
    // developer is OpenAI's newer name for system
    const normalized = role === 'developer' ? 'system' : role;
    if (normalized !== 'system' && normalized !== 'user' && normalized !== 'assistant') {
      throw new BadRequestError(`messages[${index}].role must be system, user or assistant`, 'messages');
    }
    return { role: normalized, content: flattenContent(content, index) };
  });
}

/** Validates a decoded JSON body for /v1/completions or /v1/chat/completions. */
export function parseGenerationRequest(kind: GenerationInput['kind'], json: unknown): GenerationRequest {
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new BadRequestError('the request body must be a JSON object');
  }
  const body = json as Body;
  const input: GenerationInput =
    kind === 'chat' ? { kind, messages: parseMessages(body.messages) } : { kind, prompt: parsePrompt(body.prompt) };
  const streamOptions = body.stream_options;
  const includeUsage =
    streamOptions !== null && typeof streamOptions === 'object'
      ? (streamOptions as Body).include_usage === true
      : false;
  return {
    model: typeof body.model === 'string' ? body.model : undefined,
    input,
    params: parseParams(body),
    stream: optionalBoolean(body, 'stream') ?? false,
    includeUsage,
  };
}
