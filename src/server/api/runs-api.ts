import { createRoute, type OpenAPIHono, type z } from '@hono/zod-openapi';
import type { Store, StoredRun } from '../../store/store-types.js';
import type { AuthGate, ServerEnv } from '../auth/auth-gate.js';
import { HttpError } from './api-errors.js';
import {
  ARTIFACT_NAMES,
  ArtifactParamSchema,
  ErrorSchema,
  RequestsPageSchema,
  RequestsQuerySchema,
  RunDetailSchema,
  RunIdParamSchema,
  RunListQuerySchema,
  RunListSchema,
} from './api-schemas.js';
import { decodeCursor, encodeCursor, parseSort } from './run-cursor.js';
import { isArtifactName, listArtifacts, openArtifact, readRequestsPage } from './run-files.js';
import { toListedRun, toRunDetail } from './run-views.js';

const errors = {
  400: { description: 'invalid parameters', content: { 'application/json': { schema: ErrorSchema } } },
  401: { description: 'no valid token', content: { 'application/json': { schema: ErrorSchema } } },
  404: { description: 'no such run or file', content: { 'application/json': { schema: ErrorSchema } } },
};
const security = [{ bearer: [] }];

const listRoute = createRoute({
  method: 'get',
  path: '/runs',
  tags: ['runs'],
  summary: 'runs, filtered and sorted, one page at a time',
  security,
  request: { query: RunListQuerySchema },
  responses: {
    200: { description: 'a page of runs', content: { 'application/json': { schema: RunListSchema } } },
    ...errors,
  },
});

const runRoute = createRoute({
  method: 'get',
  path: '/runs/{id}',
  tags: ['runs'],
  summary: 'one run: metadata, metrics, stages, resources, cross-check and its artifacts',
  security,
  request: { params: RunIdParamSchema },
  responses: {
    200: { description: 'the run', content: { 'application/json': { schema: RunDetailSchema } } },
    ...errors,
  },
});

const requestsRoute = createRoute({
  method: 'get',
  path: '/runs/{id}/requests',
  tags: ['runs'],
  summary: "the run's request records (requests.jsonl), paged",
  security,
  request: { params: RunIdParamSchema, query: RequestsQuerySchema },
  responses: {
    200: { description: 'a page of request records', content: { 'application/json': { schema: RequestsPageSchema } } },
    ...errors,
  },
});

const artifactRoute = createRoute({
  method: 'get',
  path: '/runs/{id}/artifacts/{name}',
  tags: ['runs'],
  summary: `one file of the run's result folder: ${ARTIFACT_NAMES.join(', ')}`,
  security,
  request: { params: ArtifactParamSchema },
  responses: {
    200: {
      description: 'the file, streamed',
      content: {
        'text/html': { schema: { type: 'string' } },
        'application/x-ndjson': { schema: { type: 'string' } },
        'text/csv': { schema: { type: 'string' } },
      },
    },
    ...errors,
  },
});

export async function runOrNotFound(store: Store, id: string): Promise<StoredRun> {
  const run = await store.getRun(id);
  if (!run) throw new HttpError('NOT_FOUND', `no run ${id}`, 'GET /api/v1/runs lists the runs');
  return run;
}

export type RunListQuery = z.output<typeof RunListQuerySchema>;

/** One page of the run list, as the API and the dashboard's runs page show it. */
export async function readRunPage(store: Pick<Store, 'queryRuns'>, query: RunListQuery) {
  const { field, descending } = parseSort(query.sort);
  const runs = await store.queryRuns({
    engine: query.engine,
    model: query.model,
    host: query.host,
    status: query.status,
    loadKind: query.loadKind,
    startedFrom: query.from ? new Date(query.from) : undefined,
    startedBefore: query.to ? new Date(query.to) : undefined,
    sort: field,
    descending,
    limit: query.limit + 1,
    after: query.cursor ? decodeCursor(query.cursor, query.sort) : undefined,
  });
  const page = runs.slice(0, query.limit);
  const last = page.at(-1);
  const nextCursor = runs.length > query.limit && last ? encodeCursor(query.sort, last[field], last.id) : null;
  return { runs: page.map(toListedRun), nextCursor };
}

/** The runs part of /api/v1 (compare is not here: it joins once the compare use case lives in app). */
export function addRunRoutes(api: OpenAPIHono<ServerEnv>, store: Store, gate: AuthGate): void {
  const read = gate.requireScope('read');
  // Hono's `/runs/*` matches /runs itself too
  api.use('/runs/*', read);

  api.openapi(listRoute, async (c) => c.json(await readRunPage(store, c.req.valid('query')), 200));

  api.openapi(runRoute, async (c) => {
    const { id } = c.req.valid('param');
    const run = await runOrNotFound(store, id);
    const url = `/api/v1/runs/${encodeURIComponent(run.id)}`;
    return c.json(toRunDetail(run, await listArtifacts(run.resultPath), url), 200);
  });

  api.openapi(requestsRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { offset, limit } = c.req.valid('query');
    const run = await runOrNotFound(store, id);
    const page = await readRequestsPage(run.resultPath, offset, limit);
    if (!page)
      throw new HttpError(
        'NOT_FOUND',
        `run ${id} has no requests.jsonl`,
        'a run that measured nothing has no request records',
      );
    return c.json({ requests: page.requests, offset, nextOffset: page.nextOffset }, 200);
  });

  api.openapi(artifactRoute, async (c) => {
    const { id, name } = c.req.valid('param');
    if (!isArtifactName(name)) {
      throw new HttpError(
        'NOT_FOUND',
        `no artifact ${JSON.stringify(name)}`,
        `the artifacts are ${ARTIFACT_NAMES.join(', ')}`,
      );
    }
    const run = await runOrNotFound(store, id);
    const artifact = await openArtifact(run.resultPath, name);
    if (!artifact)
      throw new HttpError('NOT_FOUND', `run ${id} has no ${name}`, `GET /api/v1/runs/${id} lists its artifacts`);
    return new Response(artifact.body, {
      status: 200,
      headers: {
        'content-type': artifact.contentType,
        'content-length': String(artifact.bytes),
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        // the report runs its own scripts, in an origin of its own: it cannot read the session or call the API
        'content-security-policy': 'sandbox allow-scripts',
      },
    }) as never;
  });
}
