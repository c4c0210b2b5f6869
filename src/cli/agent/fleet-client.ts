import { request } from 'undici';
import type { PushTarget } from '../../app/push/push-http.js';
import { describeError, KittError } from '../../core/errors.js';
import { redactUrl } from '../../core/secret.js';

/** No answer from the server (refused, reset, timed out, or a 5xx): the agent backs off and tries again. */
export class ServerUnreachable extends KittError {
  constructor(message: string) {
    super('EXPORT_FAILED', message, { hint: 'the agent retries until kitt server answers' });
    this.name = 'ServerUnreachable';
  }
}

export interface FleetAnswer {
  readonly status: number;
  readonly json: Record<string, unknown>;
}

/** The fleet routes of one kitt server, with the agent's token (never logged). */
export class FleetClient {
  constructor(readonly target: PushTarget) {}

  /** One POST; a 4xx is an answer for the caller to read, no answer at all is ServerUnreachable. */
  post(path: string, body: unknown, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<FleetAnswer> {
    return this.call('POST', path, body, options);
  }

  get(path: string): Promise<FleetAnswer> {
    return this.call('GET', path, undefined, {});
  }

  private async call(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    options: { timeoutMs?: number; signal?: AbortSignal },
  ): Promise<FleetAnswer> {
    const url = `${this.target.server}/api/v1${path}`;
    let status: number;
    let text: string;
    try {
      const response = await request(url, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.target.token.reveal()}` },
        ...(method === 'POST' ? { body: JSON.stringify(body ?? {}) } : {}),
        headersTimeout: options.timeoutMs ?? 30_000,
        bodyTimeout: options.timeoutMs ?? 30_000,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      throw new ServerUnreachable(`${method} ${redactUrl(url)}: ${describeError(error)}`);
    }
    if (status >= 500)
      throw new ServerUnreachable(
        `${method} ${redactUrl(url)}: ${status} ${errorMessageOf({ status, json: parseJson(text) })}`,
      );
    if (status === 401 || status === 403) {
      throw new KittError(
        'USAGE',
        `kitt server at ${redactUrl(this.target.server)} refused the agent's token (${status})`,
        {
          hint: `set ${this.target.tokenEnv} to a token with the write scope (kitt server token create --scope write)`,
        },
      );
    }
    return { status, json: parseJson(text) };
  }
}

export function errorMessageOf(answer: FleetAnswer): string {
  const error = answer.json.error as { message?: unknown } | undefined;
  return typeof error?.message === 'string' ? error.message : `status ${answer.status}`;
}

function parseJson(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
