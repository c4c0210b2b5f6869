import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { describeError, HTTP_STATUS, KittError } from '../../core/errors.js';
import { redactUrl } from '../../core/secret.js';

/**
 * Codes only HTTP has: the request itself was refused before any of kitt's use cases ran. Every
 * other error carries its KittError code, and its status from core's HTTP_STATUS table.
 */
const HTTP_CODES = {
  NOT_FOUND: 404,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  PAYLOAD_TOO_LARGE: 413,
  URI_TOO_LONG: 414,
  VALIDATION: 400,
} as const;

export type HttpErrorCode = keyof typeof HTTP_CODES;

/** An error the API answers with its own status: auth, limits, unknown things. */
export class HttpError extends Error {
  constructor(
    readonly code: HttpErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }

  get status(): number {
    return HTTP_CODES[this.code];
  }
}

/** Statuses for store failures, which core's table leaves to the server: the database is away, not the request wrong. */
const SERVER_STATUS: Partial<Record<string, number>> = { STORE_FAILED: 503, HOME_NOT_WRITABLE: 503 };

/** The one error shape of every API answer. */
export interface ApiErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly hint: string | null };
}

export function toApiError(error: unknown): { status: number; body: ApiErrorBody } {
  if (error instanceof HttpError) {
    return {
      status: error.status,
      body: { error: { code: error.code, message: error.message, hint: error.hint ?? null } },
    };
  }
  if (error instanceof KittError) {
    const status = HTTP_STATUS[error.code] ?? SERVER_STATUS[error.code] ?? 500;
    const message = redactUrl(error.message);
    return { status, body: { error: { code: error.code, message, hint: error.hint ? redactUrl(error.hint) : null } } };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: describeError(error), hint: null } } };
}

export function sendApiError(c: Context, error: unknown): Response {
  const { status, body } = toApiError(error);
  c.header('cache-control', 'no-store');
  return c.json(body, status as ContentfulStatusCode);
}
