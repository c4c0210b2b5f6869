import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { formatBytes } from '../../core/units.js';
import type { Store, StoredRun } from '../../store/store-types.js';
import type { AuthGate, ServerEnv } from '../auth/auth-gate.js';
import { HttpError, sendApiError } from './api-errors.js';
import {
  ErrorSchema,
  FileUploadAnswerSchema,
  FileUploadParamSchema,
  RunUploadAnswerSchema,
  RunUploadParamSchema,
  RunUploadSchema,
} from './api-schemas.js';
import { receiveRunFile } from './receive-run-file.js';

/** Where pushed runs go and how large one of their files may be. */
export interface UploadOptions {
  /** The server's data folder: a pushed run's files land in `<dataDir>/runs/<id>/`. */
  readonly dataDir: string;
  /** The largest file accepted, counted after decompression. */
  readonly maxFileBytes: number;
}

export const DEFAULT_MAX_UPLOAD_BYTES = 1024 ** 3;
/** A run's row is a few KiB; a sweep's metrics document with many stages, a few hundred. */
const MAX_RUN_BODY_BYTES = 16 * 1024 * 1024;

/** The two upload routes, which set their own body limits in place of the server's 64 KiB one. */
export const isUploadRequest = (method: string, path: string): boolean =>
  method === 'PUT' && /^\/api\/v1\/runs\/[^/]+(?:\/files\/[^/]+)?$/.test(path);

const errors = {
  400: { description: 'invalid row, id or body', content: { 'application/json': { schema: ErrorSchema } } },
  401: { description: 'no valid token', content: { 'application/json': { schema: ErrorSchema } } },
  403: { description: 'the token lacks the write scope', content: { 'application/json': { schema: ErrorSchema } } },
  413: { description: 'the body is over the limit', content: { 'application/json': { schema: ErrorSchema } } },
};
const security = [{ bearer: [] }];

function routes(gate: AuthGate) {
  const write = gate.requireScope('write');
  const runBodyLimit = bodyLimit({
    maxSize: MAX_RUN_BODY_BYTES,
    onError: (c) =>
      sendApiError(
        c,
        new HttpError(
          'PAYLOAD_TOO_LARGE',
          `the run's row is over ${formatBytes(MAX_RUN_BODY_BYTES)}`,
          'send the row without its files',
        ),
      ),
  });
  const putRun = createRoute({
    method: 'put',
    path: '/runs/{id}',
    tags: ['upload'],
    summary: 'store a run another kitt recorded (its row, as kitt results show --json prints it); safe to repeat',
    security,
    middleware: [write, runBodyLimit] as const,
    request: {
      params: RunUploadParamSchema,
      body: { required: true, content: { 'application/json': { schema: RunUploadSchema } } },
    },
    responses: {
      201: { description: 'the run was new', content: { 'application/json': { schema: RunUploadAnswerSchema } } },
      200: {
        description: 'the run was there: replaced by this state, or kept when it is a later one',
        content: { 'application/json': { schema: RunUploadAnswerSchema } },
      },
      ...errors,
    },
  });
  const putFile = createRoute({
    method: 'put',
    path: '/runs/{id}/files/{name}',
    tags: ['upload'],
    summary: "one file of a pushed run's result folder, raw bytes (Content-Encoding: gzip accepted)",
    security,
    middleware: [write] as const,
    request: {
      params: FileUploadParamSchema,
      body: {
        required: true,
        content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
      },
    },
    responses: {
      201: { description: 'stored', content: { 'application/json': { schema: FileUploadAnswerSchema } } },
      404: { description: 'the run was not pushed yet', content: { 'application/json': { schema: ErrorSchema } } },
      ...errors,
    },
  });
  return { putRun, putFile };
}

/**
 * PUT /runs/{id} and /runs/{id}/files/{name}: a team's runs pushed from the machines that measured
 * them. The row lands through the store's importRun (created, or replaced by the same or a later
 * state); each file streams into `<data>/runs/<id>/`, and the row's resultPath points there, so the
 * artifact routes and the dashboard serve a pushed run as they serve a local one. Registered before
 * the read routes, so these answer with their own write gate alone.
 */
export function addUploadRoutes(
  api: OpenAPIHono<ServerEnv>,
  store: Store,
  gate: AuthGate,
  options: UploadOptions,
): void {
  const { putRun, putFile } = routes(gate);
  const runsDir = resolve(options.dataDir, 'runs');
  const folderOf = (id: string) => join(runsDir, id);

  api.openapi(putRun, async (c) => {
    const { id } = c.req.valid('param');
    const row = c.req.valid('json');
    if (row.id !== id) {
      throw new HttpError(
        'VALIDATION',
        `the row is run ${row.id}, the URL run ${id}`,
        `PUT it to /api/v1/runs/${row.id}`,
      );
    }
    const folder = folderOf(id);
    const run: StoredRun = {
      id,
      startedAt: row.startedAt,
      finishedAt: row.finishedAt ?? undefined,
      status: row.status,
      engine: row.engine,
      mode: row.mode,
      model: row.model,
      modelSha256: row.modelSha256 ?? undefined,
      modelSizeBytes: row.modelSizeBytes ?? undefined,
      hardwareFingerprint: row.hardwareFingerprint ?? undefined,
      hardware: row.hardware,
      config: row.config,
      limits: row.limits,
      metrics: row.metrics,
      error: row.error ?? undefined,
      // the server's own: files already pushed stay pointed at, and no pushing process owns the row here
      resultPath: existsSync(folder) ? folder : undefined,
      owner: undefined,
    };
    const imported = await store.importRun(run);
    const url = `/api/v1/runs/${encodeURIComponent(id)}`;
    const answer = {
      id,
      status: imported.run.status,
      outcome: imported.outcome,
      url,
      page: `/runs/${encodeURIComponent(id)}`,
    };
    if (imported.outcome === 'created') c.header('location', url);
    return c.json(answer, imported.outcome === 'created' ? 201 : 200);
  });

  api.openapi(putFile, async (c) => {
    const { id, name } = c.req.valid('param');
    const run = await store.getRun(id);
    if (!run) {
      throw new HttpError(
        'NOT_FOUND',
        `no run ${id} on this server`,
        `PUT /api/v1/runs/${id} with the run's row first (kitt results push does both)`,
      );
    }
    const encoding = (c.req.header('content-encoding') ?? 'identity').trim().toLowerCase();
    if (encoding !== 'gzip' && encoding !== 'identity') {
      throw new HttpError('VALIDATION', `Content-Encoding ${encoding} is not accepted`, 'send gzip or no encoding');
    }
    const declared = Number(c.req.header('content-length'));
    if (encoding === 'identity' && Number.isFinite(declared) && declared > options.maxFileBytes) {
      // the body is not read, so the connection cannot carry another request
      c.header('connection', 'close');
      throw new HttpError(
        'PAYLOAD_TOO_LARGE',
        `${name} is ${formatBytes(declared)}, over ${formatBytes(options.maxFileBytes)}`,
        'start kitt server with a larger --max-upload, or keep this run local',
      );
    }
    const folder = folderOf(id);
    const received = await receiveRunFile(
      c.req.raw.body,
      { dir: folder, name },
      {
        gzip: encoding === 'gzip',
        maxBytes: options.maxFileBytes,
      },
    );
    // the row as it is now: a row PUT may have landed while the file streamed
    const current = await store.getRun(id);
    if (current && current.resultPath !== folder) await store.importRun({ ...current, resultPath: folder });
    return c.json({ name, bytes: received.bytes }, 201);
  });
}
