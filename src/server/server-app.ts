import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Store } from '../store/store-types.js';
import { createApi } from './api/api-app.js';
import { HttpError, sendApiError } from './api/api-errors.js';
import type { VerifyApiToken } from './auth/api-tokens.js';
import type { AuthGate, ServerEnv } from './auth/auth-gate.js';
import type { Sessions } from './auth/sessions.js';
import { addDashboard } from './dashboard/dashboard-routes.js';

/** The largest request body: JSON bodies of a few fields (run upload, when it comes, gets its own limit). */
export const MAX_BODY_BYTES = 64 * 1024;
/** The longest URL; Node itself answers 431 to headers over its 16 KiB. */
export const MAX_URL_BYTES = 8 * 1024;

export interface ServerAppOptions {
  readonly store: Store;
  readonly gate: AuthGate;
  readonly sessions: Sessions;
  readonly verify: VerifyApiToken;
  readonly version: string;
  /** Trust X-Forwarded-Proto from a TLS proxy in front, to mark the session cookie Secure. */
  readonly trustProxy: boolean;
  readonly log: (line: string) => void;
}

/**
 * Everything kitt server answers: /health, the API under /api/v1 and the dashboard. Nothing else is
 * served — no folder is mapped to URLs, so no path can reach a file outside what a route names.
 */
export function createServerApp(options: ServerAppOptions): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  app.onError((error, c) => sendApiError(c, error));
  app.notFound((c) =>
    sendApiError(
      c,
      new HttpError('NOT_FOUND', `nothing at ${c.req.path}`, 'the API is under /api/v1 (GET /api/v1/openapi.json)'),
    ),
  );
  app.use(async (c, next) => {
    if (c.req.url.length > MAX_URL_BYTES) {
      throw new HttpError(
        'URI_TOO_LONG',
        `the URL is longer than ${MAX_URL_BYTES} bytes`,
        'send fewer or shorter parameters',
      );
    }
    await next();
    c.header('x-content-type-options', 'nosniff');
  });
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => {
        // the rest of the body is never read, so the connection cannot carry another request
        c.header('connection', 'close');
        return sendApiError(
          c,
          new HttpError('PAYLOAD_TOO_LARGE', `the request body is over ${MAX_BODY_BYTES} bytes`, 'send a smaller body'),
        );
      },
    }),
  );
  app.get('/health', (c) => c.json({ status: 'ok', version: options.version }));
  app.route('/api/v1', createApi(options));
  addDashboard(app, options);
  return app;
}
