import { request } from 'undici';

/**
 * Every read kitt makes of a server it does not control (an engine's /metrics, /tokenize, /health,
 * /v1/models) goes through here, with an overall deadline and a size cap. undici's own
 * headersTimeout/bodyTimeout are idle timeouts: a server that dribbles one byte a second never trips
 * them, and `body.text()` buffers whatever it is sent (a 50 MB /metrics cost 2.2 GB once parsed).
 */
export interface ReadLimits {
  /** Largest body accepted; more ends the read with kind 'response-too-large'. */
  readonly maxBytes: number;
  /** Whole exchange, from the send to the last body byte; past it the read ends with kind 'timeout'. */
  readonly deadlineMs: number;
}

export type BoundedReadFailure = 'response-too-large' | 'timeout';

/** A read that broke one of its limits; `kind` names which, as request records name their errors. */
export class BoundedReadError extends Error {
  constructor(
    readonly kind: BoundedReadFailure,
    message: string,
  ) {
    super(message);
    this.name = 'BoundedReadError';
  }
}

/** A body as undici hands it over: chunks, and a way to stop reading. */
export interface ReadableBody extends AsyncIterable<Uint8Array> {
  destroy(error?: Error): unknown;
}

/**
 * Reads `body` to the end, or fails with BoundedReadError once it passes `maxBytes`; the socket is
 * destroyed then, so nothing more is buffered. Chunks are kept in a list and joined once.
 */
export async function readBounded(body: ReadableBody, maxBytes: number, what = 'the response'): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for await (const chunk of body) {
    bytes += chunk.length;
    if (bytes > maxBytes) {
      const error = new BoundedReadError('response-too-large', `${what} is over ${formatLimit(maxBytes)}`);
      body.destroy(error);
      throw error;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, bytes);
}

export interface BoundedResponse {
  readonly statusCode: number;
  readonly body: Buffer;
}

export interface BoundedRequestOptions extends ReadLimits {
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Ends the exchange early (the caller's cancel); its reason is rethrown. */
  readonly signal?: AbortSignal;
}

/**
 * One HTTP exchange under an overall deadline and a size cap. Rejects with BoundedReadError
 * ('timeout' or 'response-too-large'), with the signal's reason when the caller cancelled, and
 * with undici's error for refused or broken connections.
 */
export async function requestBounded(url: string, options: BoundedRequestOptions): Promise<BoundedResponse> {
  const what = `${options.method ?? 'GET'} ${new URL(url).pathname}`;
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new BoundedReadError('timeout', `${what} did not finish within ${options.deadlineMs} ms`)),
    options.deadlineMs,
  );
  const outer = options.signal;
  const cancel = () => deadline.abort(outer?.reason);
  if (outer?.aborted) cancel();
  outer?.addEventListener('abort', cancel, { once: true });
  try {
    const response = await request(url, {
      method: options.method ?? 'GET',
      ...(options.headers ? { headers: options.headers } : {}),
      ...(options.body === undefined ? {} : { body: options.body }),
      signal: deadline.signal,
      // The deadline above is the bound; undici's idle timers would only add a second, shorter one.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > options.maxBytes) {
      const error = new BoundedReadError(
        'response-too-large',
        `${what} declares ${declared} bytes, over ${formatLimit(options.maxBytes)}`,
      );
      response.body.destroy(error);
      throw error;
    }
    const body = await readBounded(response.body, options.maxBytes, what);
    return { statusCode: response.statusCode, body };
  } catch (error) {
    // Whatever undici made of the abort, the deadline's own error says what happened.
    if (deadline.signal.aborted) throw deadline.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', cancel);
  }
}

function formatLimit(bytes: number): string {
  return bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}
