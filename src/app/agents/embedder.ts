import { HASH_EMBEDDING_DIMS, HASH_EMBEDDING_NAME, hashEmbedding, normalize } from '../../agents/hash-embedding.js';
import { requestBounded } from '../../core/bounded-request.js';
import type { ChatEndpoint } from './chat-think.js';

/** Turns text into a unit vector; `name` goes into results and into every memory it made. */
export interface Embedder {
  readonly name: string;
  readonly source: 'engine' | 'hash';
  readonly dims: number;
  /** Why the engine's embeddings were not used, when they were not. */
  readonly fallbackReason?: string;
  embed(text: string, signal: AbortSignal): Promise<Float32Array>;
}

const EMBEDDING_LIMITS = { maxBytes: 16 * 1024 * 1024, deadlineMs: 30_000 };

export const hashEmbedder = (fallbackReason?: string): Embedder => ({
  name: HASH_EMBEDDING_NAME,
  source: 'hash',
  dims: HASH_EMBEDDING_DIMS,
  ...(fallbackReason ? { fallbackReason } : {}),
  embed: async (text) => hashEmbedding(text),
});

/**
 * The engine's `/v1/embeddings` when it serves one (one probe request decides), else kitt's
 * deterministic hash embedding. kitt's embedded engine serves no embeddings route, so it always
 * gets the hash embedding; vLLM, llama-server --embeddings or Ollama may serve one.
 */
export async function chooseEmbedder(endpoint: ChatEndpoint, signal: AbortSignal): Promise<Embedder> {
  const embed = engineEmbed(endpoint);
  try {
    const probe = await embed('probe', signal);
    return { name: `engine:${endpoint.model}`, source: 'engine', dims: probe.length, embed };
  } catch (error) {
    if (signal.aborted) throw error;
    return hashEmbedder(`the engine serves no embeddings (${(error as Error).message})`);
  }
}

function engineEmbed(endpoint: ChatEndpoint): Embedder['embed'] {
  const url = `${endpoint.baseUrl.replace(/\/+$/, '')}/v1/embeddings`;
  return async (text, signal) => {
    const response = await requestBounded(url, {
      ...EMBEDDING_LIMITS,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...endpoint.headers },
      body: JSON.stringify({ model: endpoint.model, input: text }),
      signal,
    });
    if (response.statusCode !== 200) throw new Error(`POST /v1/embeddings answered ${response.statusCode}`);
    const body = JSON.parse(response.body.toString('utf8')) as { data?: Array<{ embedding?: unknown }> };
    const values = body.data?.[0]?.embedding;
    if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'number')) {
      throw new Error('POST /v1/embeddings answered no embedding');
    }
    return normalize(Float32Array.from(values as number[]));
  };
}
