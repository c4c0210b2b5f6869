import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ErrorSchema } from '../api/api-schemas.js';
import type { AuthGate, ServerEnv } from '../auth/auth-gate.js';
import { FleetError } from './fleet-error.js';
import {
  AgentIdParamSchema,
  AgentRegisterSchema,
  CampaignIdParamSchema,
  CampaignSubmitSchema,
  CampaignSubmittedSchema,
  FleetCampaignStatusSchema,
  JobCompleteSchema,
  JobFailSchema,
  JobIdParamSchema,
  JobProgressSchema,
  LeasedJobSchema,
  NextQuerySchema,
} from './fleet-schemas.js';
import type { Fleet } from './fleet-service.js';

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const errors = {
  400: json(ErrorSchema, 'invalid body, or the campaign file has problems'),
  401: json(ErrorSchema, 'no valid token'),
  403: json(ErrorSchema, 'the token lacks the scope'),
  404: json(ErrorSchema, 'unknown campaign, agent or job'),
  409: json(ErrorSchema, "this attempt's lease expired and the job was issued again"),
  503: json(ErrorSchema, 'the fleet needs the PostgreSQL store'),
};
const security = [{ bearer: [] }];
const Ok = z.object({ ok: z.literal(true) });

/** A route of the fleet, its errors added; the handlers read their input through the same schemas. */
const route = (
  method: 'get' | 'post',
  path: string,
  summary: string,
  rest: { responses: object; [key: string]: unknown },
): unknown =>
  createRoute({
    method,
    path,
    tags: ['fleet'],
    summary,
    security,
    ...rest,
    responses: { ...rest.responses, ...errors },
  });

type Handler = (c: Context) => Promise<Response>;

/** A FleetError as the API's one error shape; anything else goes to the app's error handler. */
async function answer(c: Context, work: () => Promise<Response>): Promise<Response> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof FleetError)) throw error;
    return c.json({ error: { code: error.code, message: error.message, hint: error.hint ?? null } }, error.status);
  }
}

function needFleet(fleet: Fleet | undefined): Fleet {
  if (fleet) return fleet;
  throw new FleetError(
    503,
    'FLEET_UNAVAILABLE',
    'the fleet (campaigns on agents) needs the PostgreSQL store',
    'start kitt server with --store postgres://…',
  );
}

/**
 * The fleet's routes: campaigns submitted as jobs, agents that register, lease jobs and report.
 * Every one needs the write scope but a campaign's status, which reads.
 */
export function addFleetRoutes(api: OpenAPIHono<ServerEnv>, fleet: Fleet | undefined, gate: AuthGate): void {
  const write = gate.requireScope('write');
  const read = gate.requireScope('read');
  const body = <T extends z.ZodType>(schema: T) => ({
    body: { required: true, content: { 'application/json': { schema } } },
  });
  // the routes are declared for the OpenAPI document; their handlers parse with the same schemas
  const add = (declared: unknown, handler: Handler) =>
    (api.openapi as unknown as (r: unknown, h: Handler) => void).call(api, declared, handler);
  const param = (c: Context, name: string) => c.req.param(name) ?? '';

  add(
    route('post', '/campaigns', 'submit a campaign file to the fleet: one job per cell not succeeded yet', {
      middleware: [write],
      request: body(CampaignSubmitSchema),
      responses: { 201: json(CampaignSubmittedSchema, 'planned, recorded and queued') },
    }),
    (c) =>
      answer(c, async () => {
        const input = CampaignSubmitSchema.parse(await c.req.json());
        const { plan, queued } = await needFleet(fleet).submitCampaign(input);
        return c.json({ id: plan.id, name: plan.name, cells: plan.cells.length, queued }, 201);
      }),
  );
  add(
    route('get', '/campaigns/{id}', "a fleet campaign's cells by state", {
      middleware: [read],
      request: { params: CampaignIdParamSchema },
      responses: { 200: json(FleetCampaignStatusSchema, 'its cells') },
    }),
    (c) => answer(c, async () => c.json(await needFleet(fleet).status(param(c, 'id')), 200)),
  );
  add(
    route('post', '/campaigns/{id}/cancel', 'cancel every cell not finished', {
      middleware: [write],
      request: { params: CampaignIdParamSchema },
      responses: { 200: json(FleetCampaignStatusSchema, 'its cells after') },
    }),
    (c) => answer(c, async () => c.json(await needFleet(fleet).cancel(param(c, 'id')), 200)),
  );
  add(
    route('post', '/agents', "register an agent: its host's fingerprint and what it can run", {
      middleware: [write],
      request: body(AgentRegisterSchema),
      responses: { 201: json(z.object({ id: z.string(), classes: z.array(z.string()) }), 'registered') },
    }),
    (c) =>
      answer(c, async () => {
        const agent = needFleet(fleet).register(AgentRegisterSchema.parse(await c.req.json()));
        const classes = agent.classes.map((jobClass) => `${jobClass.mode}-${jobClass.gpu ? 'gpu' : 'cpu'}`);
        return c.json({ id: agent.id, classes }, 201);
      }),
  );
  add(
    route('post', '/agents/{id}/heartbeat', 'the agent is alive', {
      middleware: [write],
      request: { params: AgentIdParamSchema },
      responses: { 200: json(Ok, 'seen') },
    }),
    (c) =>
      answer(c, async () => {
        needFleet(fleet).agents.touch(param(c, 'id'));
        return c.json({ ok: true }, 200);
      }),
  );
  add(
    route('post', '/agents/{id}/next', 'long-poll for a job this agent can run (up to waitS seconds)', {
      middleware: [write],
      request: { params: AgentIdParamSchema, query: NextQuerySchema },
      responses: { 200: json(LeasedJobSchema, 'a job, leased'), 204: { description: 'none came' } },
    }),
    (c) =>
      answer(c, async () => {
        const waitS = NextQuerySchema.parse(c.req.query()).waitS;
        const job = await needFleet(fleet).next(param(c, 'id'), waitS, c.req.raw.signal);
        return job ? c.json(job, 200) : c.body(null, 204);
      }),
  );
  const jobRoute = <T extends z.ZodType>(
    path: string,
    summary: string,
    schema: T,
    work: (f: Fleet, id: string, b: z.infer<T>) => Promise<object>,
  ) =>
    add(
      route('post', path, summary, {
        middleware: [write],
        request: { params: JobIdParamSchema, ...body(schema) },
        responses: { 200: json(z.object({}).passthrough(), 'done') },
      }),
      (c) =>
        answer(c, async () => {
          const parsed = schema.parse(await c.req.json());
          return c.json(await work(needFleet(fleet), param(c, 'jobId'), parsed), 200);
        }),
    );
  jobRoute(
    '/jobs/{jobId}/progress',
    'the run an attempt started, and a line of its progress',
    JobProgressSchema,
    async (f, id, b) => {
      await f.progress(id, b);
      return { ok: true };
    },
  );
  jobRoute(
    '/jobs/{jobId}/complete',
    "record the cell's result (once per cell and attempt), then complete the job",
    JobCompleteSchema,
    (f, id, b) => f.complete(id, b),
  );
  jobRoute(
    '/jobs/{jobId}/fail',
    'fail this attempt: retried with backoff, dead-lettered after the last',
    JobFailSchema,
    (f, id, b) => f.fail(id, b),
  );
}
