import { OpenAPIHono } from '@hono/zod-openapi';
import type { Store } from '../../store/store-types.js';
import type { AuthGate, ServerEnv } from '../auth/auth-gate.js';
import { addFleetRoutes } from '../fleet/fleet-api.js';
import type { Fleet } from '../fleet/fleet-service.js';
import { addLiveRoutes } from '../live/live-api.js';
import { liveHubOf } from '../live/live-hub.js';
import { HttpError, sendApiError } from './api-errors.js';
import { addCatalogRoutes } from './catalog-api.js';
import { addCompareRoutes } from './compare-api.js';
import { addRunRoutes } from './runs-api.js';
import { addTokenRoutes } from './tokens-api.js';
import { addUploadRoutes, type UploadOptions } from './upload-api.js';

/**
 * /api/v1: every route is declared with its zod schemas, which both validate the request and make
 * the OpenAPI document at /api/v1/openapi.json. A request that fails validation gets the one error
 * shape, code VALIDATION, with every problem in the message.
 */
export function createApi(options: {
  store: Store;
  gate: AuthGate;
  version: string;
  /** Where pushed runs land; without it the server takes no uploads. */
  upload?: UploadOptions | undefined;
  log?: (line: string) => void;
  /** Campaigns run by agents; only on a PostgreSQL store (its routes say so otherwise). */
  fleet?: Fleet | undefined;
}): OpenAPIHono<ServerEnv> {
  const api = new OpenAPIHono<ServerEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const problems = result.error.issues.map((issue) => `${issue.path.join('.') || 'request'}: ${issue.message}`);
      return sendApiError(
        c,
        new HttpError('VALIDATION', problems.join('; '), 'GET /api/v1/openapi.json describes every parameter'),
      );
    },
  });
  api.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'a token from `kitt server token create` (the dashboard uses a session cookie instead)',
  });
  // before the run routes: their read gate on /runs/* would otherwise answer a PUT first
  if (options.upload) addUploadRoutes(api, options.store, options.gate, options.upload);
  addFleetRoutes(api, options.fleet, options.gate);
  addRunRoutes(api, options.store, options.gate);
  addCatalogRoutes(api, options.store, options.gate);
  addCompareRoutes(api, options.store, options.gate);
  addTokenRoutes(api, options.store, options.gate);
  addLiveRoutes(api, { gate: options.gate, hub: liveHubOf(options.store), log: options.log ?? (() => {}) });
  api.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'kitt server API',
      version: options.version,
      description: "kitt's recorded runs, their comparison, calibrations and hosts",
    },
    servers: [{ url: '/api/v1' }],
  });
  return api;
}
