import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { describeError, KittError } from '../../core/errors.js';
import { redactUrl, type Secret } from '../../core/secret.js';

/** Where a run is pushed, and with what. */
export interface PushTarget {
  /** The server's base URL, without a trailing slash (it may carry a path, behind a proxy). */
  readonly server: string;
  readonly token: Secret;
  /** The variable the token came from, named in the fix of a 401 or 403. */
  readonly tokenEnv: string;
}

/**
 * Exponential backoff on what a retry can fix: a refused or broken connection and a 5xx. A 4xx is
 * the request's own fault and fails at once. The defaults wait 0.25 + 0.5 + 1 + 2 + 4 s: long enough
 * for a server restart, short enough for the end of a run.
 */
export interface RetryPolicy {
  readonly attempts: number;
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, firstDelayMs: 250, maxDelayMs: 4000 };

export interface PushRequest {
  readonly path: string;
  readonly headers: Record<string, string>;
  /** A fresh body for each attempt (a stream is spent by the first). */
  readonly body: () => string | Readable;
}

export interface PushAnswer {
  readonly statusCode: number;
  readonly json: Record<string, unknown>;
}

/** The error of a push: `unreachable` when no attempt got an answer (the run can be pushed later). */
export class PushError extends KittError {
  constructor(
    message: string,
    hint: string,
    readonly unreachable: boolean,
  ) {
    super('EXPORT_FAILED', message, { hint });
    this.name = 'PushError';
  }
}

const retriable = (statusCode: number) => statusCode >= 500;

/** One PUT with retries; answers the first 2xx, or throws a PushError whose hint names the fix. */
export async function putWithRetry(
  target: PushTarget,
  put: PushRequest,
  options: { readonly retry: RetryPolicy; readonly onRetry?: ((line: string) => void) | undefined },
): Promise<PushAnswer> {
  const url = `${target.server}${put.path}`;
  let lastProblem = '';
  for (let attempt = 1; attempt <= options.retry.attempts; attempt++) {
    if (attempt > 1) {
      const delayMs = Math.min(options.retry.firstDelayMs * 2 ** (attempt - 2), options.retry.maxDelayMs);
      options.onRetry?.(`${lastProblem}; try ${attempt}/${options.retry.attempts} in ${delayMs} ms`);
      await sleep(delayMs);
    }
    let answer: PushAnswer;
    try {
      const response = await request(url, {
        method: 'PUT',
        headers: { ...put.headers, authorization: `Bearer ${target.token.reveal()}` },
        body: put.body(),
        headersTimeout: 60_000,
        bodyTimeout: 60_000,
      });
      const text = await response.body.text();
      answer = { statusCode: response.statusCode, json: parseJson(text) };
    } catch (error) {
      lastProblem = `PUT ${redactUrl(url)}: ${describeError(error)}`;
      continue;
    }
    if (answer.statusCode < 300) return answer;
    if (!retriable(answer.statusCode)) throw refusal(target, put.path, answer);
    lastProblem = `PUT ${redactUrl(url)}: ${answer.statusCode} ${serverMessage(answer)}`;
  }
  throw new PushError(
    `kitt server at ${redactUrl(target.server)} did not take the run after ${options.retry.attempts} tries (${lastProblem})`,
    'check that kitt server runs there and is reachable from this machine',
    true,
  );
}

function parseJson(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function serverMessage(answer: PushAnswer): string {
  const error = answer.json.error as { message?: unknown } | undefined;
  return typeof error?.message === 'string' ? error.message : 'no error message';
}

/** A 4xx as one line: what the server said, and the fix on this side. */
function refusal(target: PushTarget, path: string, answer: PushAnswer): PushError {
  const said = `kitt server at ${redactUrl(target.server)} refused PUT ${path}: ${answer.statusCode} ${serverMessage(answer)}`;
  const error = answer.json.error as { hint?: unknown } | undefined;
  const serverHint = typeof error?.hint === 'string' ? error.hint : undefined;
  const hint =
    answer.statusCode === 401
      ? `set ${target.tokenEnv} to a token with the write scope (kitt server token create --scope write)`
      : answer.statusCode === 403
        ? `set ${target.tokenEnv} to a token with the write scope (kitt server token create --scope write); this one may only read`
        : answer.statusCode === 404 && !path.includes('/files/')
          ? 'this server has no upload routes: run a kitt server as new as this kitt'
          : (serverHint ?? 'see GET /api/v1/openapi.json on the server');
  return new PushError(said, hint, false);
}
