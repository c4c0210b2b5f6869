import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createApi } from './api/api-app.js';
import { HttpError, sendApiError } from './api/api-errors.js';
import { isUploadRequest, type UploadOptions } from './api/upload-api.js';
import type { ServerEnv } from './auth/auth-gate.js';
import { addDashboard, type DashboardOptions } from './dashboard/dashboard-routes.js';
import type { Fleet } from './fleet/fleet-service.js';

/** The largest request body: JSON bodies of a few fields (the upload routes set their own limits). */
export const MAX_BODY_BYTES = 64 * 1024;
/** The longest URL; Node itself answers 431 to headers over its 16 KiB. */
export const MAX_URL_BYTES = 8 * 1024;

/** What the server needs: all the dashboard does (the API takes a part of it). */
export type ServerAppOptions = DashboardOptions & {
  readonly upload?: UploadOptions | undefined;
  readonly fleet?: Fleet | undefined;
};

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
  const smallBodies = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => {
      // the rest of the body is never read, so the connection cannot carry another request
      c.header('connection', 'close');
      return sendApiError(
        c,
        new HttpError('PAYLOAD_TOO_LARGE', `the request body is over ${MAX_BODY_BYTES} bytes`, 'send a smaller body'),
      );
    },
  });
  app.use((c, next) => (isUploadRequest(c.req.method, c.req.path) ? next() : smallBodies(c, next)));
  app.get('/health', (c) => c.json({ status: 'ok', version: options.version }));
  app.route('/api/v1', createApi(options));
  addDashboard(app, options);
  return app;
}
