import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Store } from '../../store/store-types.js';
import type { AuthGate, ServerEnv } from '../auth/auth-gate.js';
import { CalibrationListSchema, CalibrationQuerySchema, ErrorSchema, HostListSchema } from './api-schemas.js';

const errors = {
  400: { description: 'invalid parameters', content: { 'application/json': { schema: ErrorSchema } } },
  401: { description: 'no valid token', content: { 'application/json': { schema: ErrorSchema } } },
};
const security = [{ bearer: [] }];

const calibrationsRoute = createRoute({
  method: 'get',
  path: '/calibrations',
  tags: ['calibrations'],
  summary: 'calibrated rates, newest first: by engine and limits profile, the history of each',
  security,
  request: { query: CalibrationQuerySchema },
  responses: {
    200: { description: 'calibrations', content: { 'application/json': { schema: CalibrationListSchema } } },
    ...errors,
  },
});

const hostsRoute = createRoute({
  method: 'get',
  path: '/hosts',
  tags: ['hosts'],
  summary: 'the hosts runs were measured on (hardware fingerprints), most recently used first',
  security,
  responses: { 200: { description: 'hosts', content: { 'application/json': { schema: HostListSchema } } }, ...errors },
});

/** Calibrations (kitt calibrate records one per accepted rate) and hosts (grouped by fingerprint). */
export function addCatalogRoutes(api: OpenAPIHono<ServerEnv>, store: Store, gate: AuthGate): void {
  api.use('/calibrations', gate.requireScope('read'));
  api.use('/hosts', gate.requireScope('read'));

  api.openapi(calibrationsRoute, async (c) => {
    const query = c.req.valid('query');
    const calibrations = await store.listCalibrations({
      ...(query.engine ? { engine: query.engine } : {}),
      ...(query.limits ? { limitsKey: query.limits } : {}),
      limit: query.limit,
    });
    return c.json(
      {
        calibrations: calibrations.map((calibration) => ({
          id: calibration.id,
          runId: calibration.runId ?? null,
          engine: calibration.engine,
          limits: calibration.limitsKey,
          rate: calibration.rateValue,
          unit: calibration.unit,
          createdAt: calibration.createdAt,
          report: calibration.report ?? null,
        })),
      },
      200,
    );
  });

  api.openapi(hostsRoute, async (c) => {
    const hosts = await store.listHosts();
    return c.json(
      {
        hosts: hosts.map((host) => ({
          ...host,
          hardware: host.hardware ?? null,
          runsUrl: `/api/v1/runs?host=${host.fingerprint}`,
        })),
      },
      200,
    );
  });
}
