import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { type SSEStreamingApi, streamSSE } from 'hono/streaming';
import type { LiveSnapshot } from '../../metrics/live-snapshot.js';
import { HttpError } from '../api/api-errors.js';
import { ErrorSchema, RunIdParamSchema } from '../api/api-schemas.js';
import { scopeGrants } from '../auth/api-tokens.js';
import type { AuthGate, Principal, ServerEnv } from '../auth/auth-gate.js';
import type { LiveHub } from './live-hub.js';
import { LiveRunListSchema, LiveSnapshotSchema } from './live-schemas.js';

const json = (description: string) => ({ description, content: { 'application/json': { schema: ErrorSchema } } });
const security = [{ bearer: [] }];

const postRoute = createRoute({
  method: 'post',
  path: '/runs/{id}/live',
  tags: ['live'],
  summary: "publish a running run's snapshot (kitt run does this once a second)",
  security,
  request: {
    params: RunIdParamSchema,
    body: { content: { 'application/json': { schema: LiveSnapshotSchema } }, required: true },
  },
  responses: {
    204: { description: 'kept and sent to the viewers' },
    400: json('invalid snapshot, or its runId is not the path’s'),
    401: json('no valid token'),
    403: json('the token lacks the write scope'),
  },
});

const streamRoute = createRoute({
  method: 'get',
  path: '/runs/{id}/live',
  tags: ['live'],
  summary: "a running run's snapshots as server-sent events: the kept ones, then each new one, until done",
  description:
    'Each event is `event: snapshot`, `id: <seq>`, `data: <LiveSnapshot JSON>`; a comment every 15 s keeps proxies from closing the stream. The stream ends after the snapshot with `done: true`. Last-Event-ID skips what was already seen.',
  security,
  request: { params: RunIdParamSchema },
  responses: {
    200: { description: 'the event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
    401: json('no valid token'),
    404: json('the run is not publishing here'),
    503: json('the run has as many viewers as it may'),
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/live',
  tags: ['live'],
  summary: 'the runs publishing now (and those done in the last 5 minutes), with their latest snapshot',
  security,
  responses: {
    200: { description: 'live runs', content: { 'application/json': { schema: LiveRunListSchema } } },
    401: json('no valid token'),
  },
});

/** A viewer that falls this far behind loses its oldest snapshots, not the server its memory. */
const VIEWER_QUEUE_LIMIT = 64;
/** A comment this often: proxies close a stream that says nothing for a minute. */
const HEARTBEAT_MS = 15_000;

/**
 * Live runs: `kitt run` POSTs its snapshot, viewers read them as server-sent events. Posting needs
 * the write scope, checked here rather than by the gate's middleware so a run's once-a-second
 * POSTs do not write one audit line each: its first snapshot writes the one line instead.
 */
export function addLiveRoutes(
  api: OpenAPIHono<ServerEnv>,
  options: { gate: AuthGate; hub: LiveHub; log: (line: string) => void },
): void {
  const { gate, hub } = options;
  api.use('/live', gate.requireScope('read'));

  api.use('/runs/:id/live', async (c, next) => {
    if (c.req.method === 'POST') c.set('principal', await requireWrite(gate, c));
    await next();
  });

  api.openapi(postRoute, async (c) => {
    const principal = c.get('principal');
    const { id } = c.req.valid('param');
    const snapshot = c.req.valid('json') as LiveSnapshot;
    if (snapshot.runId !== id) {
      throw new HttpError(
        'VALIDATION',
        `the snapshot is of run ${snapshot.runId}, posted to ${id}`,
        'post to its own run',
      );
    }
    const first = !hub.holds(id);
    hub.publish(id, snapshot);
    if (first && principal.kind === 'token') {
      const { name, id: tokenId } = principal.token;
      options.log(`${new Date().toISOString()} live run ${id} published by token "${name}" (${tokenId})`);
    }
    return c.body(null, 204);
  });

  api.openapi(listRoute, (c) => c.json({ runs: hub.list() }, 200));

  // the handler answers a stream, which the route's typed responses cannot name
  api.openapi(streamRoute, ((c: Context<ServerEnv>) => streamSnapshots(c, hub)) as never);
}

/** The gate's rule for the write scope (a bearer token only: a session never writes), without its audit line. */
async function requireWrite(gate: AuthGate, c: Context<ServerEnv>): Promise<Principal> {
  const principal = await gate.identify(c);
  if (!principal) {
    throw new HttpError(
      'UNAUTHORIZED',
      'publishing a live run needs a token with the write scope',
      'send Authorization: Bearer <token> (kitt server token create --scope write makes one)',
    );
  }
  if (principal.kind === 'token' && !scopeGrants(principal.token.scope, 'write')) {
    throw new HttpError(
      'FORBIDDEN',
      `token ${principal.token.name} has the ${principal.token.scope} scope; this needs write`,
      'create a token with --scope write and pass it in KITT_SERVER_TOKEN',
    );
  }
  return principal;
}

/** The kept snapshots after Last-Event-ID, then each new one, until done, the viewer leaves or the run goes. */
function streamSnapshots(c: Context<ServerEnv>, hub: LiveHub): Response {
  const id = c.req.param('id') ?? '';
  const seen = Number(c.req.header('last-event-id') ?? 0) || 0;
  const queue: LiveSnapshot[] = [];
  let ended = false;
  let wake: () => void = () => {};
  const subscription = hub.subscribe(id, {
    snapshot: (snapshot) => {
      queue.push(snapshot);
      if (queue.length > VIEWER_QUEUE_LIMIT) queue.shift();
      wake();
    },
    gone: () => {
      ended = true;
      wake();
    },
  });
  if (subscription === undefined) {
    throw new HttpError('NOT_FOUND', `run ${id} is not publishing here`, 'GET /api/v1/live lists the runs that are');
  }
  if (subscription === 'full') {
    return c.json(
      { error: { code: 'TOO_MANY_VIEWERS', message: `run ${id} has as many viewers as it may`, hint: 'try later' } },
      503,
    );
  }
  queue.push(...subscription.history);
  c.header('cache-control', 'no-store');
  // nginx would otherwise hold the events back in its buffer
  c.header('x-accel-buffering', 'no');
  return streamSSE(c, async (stream) => {
    stream.onAbort(() => {
      ended = true;
      wake();
    });
    try {
      while (!ended && !stream.aborted) {
        const snapshot = queue.shift();
        if (!snapshot) {
          await waitOrHeartbeat(stream, hub, (resume) => {
            wake = resume;
          });
          continue;
        }
        if (snapshot.seq <= seen) continue;
        await stream.writeSSE({ event: 'snapshot', id: String(snapshot.seq), data: JSON.stringify(snapshot) });
        if (snapshot.done) break;
      }
    } finally {
      subscription.unsubscribe();
    }
  });
}

/** Waits for the next snapshot; after HEARTBEAT_MS of quiet, writes a comment and prunes the hub. */
async function waitOrHeartbeat(
  stream: SSEStreamingApi,
  hub: LiveHub,
  onWake: (resume: () => void) => void,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const woken = await new Promise<boolean>((resolve) => {
    onWake(() => resolve(true));
    timer = setTimeout(() => resolve(false), HEARTBEAT_MS);
  });
  clearTimeout(timer);
  onWake(() => {});
  if (!woken) {
    await stream.write(': keepalive\n\n');
    hub.prune();
  }
}
