import type { Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import type { Store } from '../../store/store-types.js';
import { HttpError } from '../api/api-errors.js';
import { RunListQuerySchema } from '../api/api-schemas.js';
import { listArtifacts } from '../api/run-files.js';
import { toRunDetail } from '../api/run-views.js';
import { readRunPage, runOrNotFound } from '../api/runs-api.js';
import type { VerifyApiToken } from '../auth/api-tokens.js';
import type { AuthGate, ServerEnv } from '../auth/auth-gate.js';
import { SESSION_COOKIE, SESSION_TTL_MS, type Sessions } from '../auth/sessions.js';
import { liveHubOf } from '../live/live-hub.js';
import { addLivePages } from '../live/live-pages.js';
import { renderCalibrationsBody, renderHostsBody } from './catalog-pages.js';
import { type Html, renderPage } from './page-layout.js';
import { renderRunBody } from './run-page.js';
import { renderRunsBody } from './runs-page.js';

export interface DashboardOptions {
  readonly store: Store;
  readonly gate: AuthGate;
  readonly sessions: Sessions;
  readonly verify: VerifyApiToken;
  readonly version: string;
  /** Trust X-Forwarded-Proto from a TLS proxy in front, to mark the session cookie Secure. */
  readonly trustProxy: boolean;
  readonly log: (line: string) => void;
}

/** Secure cookies only where the browser speaks TLS: directly, or through a proxy the operator trusts. */
function isHttps(c: Context, trustProxy: boolean): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  return trustProxy && c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
}

function signInBody(problem?: string): Html {
  return html`<h2>Sign in</h2>
<p>Paste an API token (<code>kitt server token create --name you --scope read</code> makes one).</p>
${problem ? html`<p class="error">${problem}</p>` : ''}
<form method="post" action="/sign-in"><label>Token <input name="token" type="password" autocomplete="off" size="40" required></label> <button type="submit">Sign in</button></form>`;
}

/**
 * The dashboard: server-rendered pages over the same use cases as the API. A page that needs a
 * token the visitor has not given sends them to the sign-in page; signing in opens a session
 * (an HttpOnly, SameSite=Strict cookie, Secure over TLS) that stands for the token on reads.
 */
export function addDashboard(app: Hono<ServerEnv>, options: DashboardOptions): void {
  const page = (c: Context, title: string, body: Html, status: 200 | 400 | 401 | 404 = 200) =>
    c.html(
      renderPage({ title, body, signedIn: getCookie(c, SESSION_COOKIE) !== undefined, version: options.version }),
      status,
    );
  const read = options.gate.requireScope('read');
  const readOrSignIn = async (c: Context<ServerEnv>, next: () => Promise<void>) => {
    try {
      await read(c, next);
    } catch (error) {
      if (error instanceof HttpError && error.code === 'UNAUTHORIZED') return c.redirect('/sign-in', 303);
      throw error;
    }
  };

  app.get('/', (c) => c.redirect('/runs', 303));
  addLivePages(app, { hub: liveHubOf(options.store), page, readOrSignIn });
  app.get('/sign-in', (c) => page(c, 'Sign in', signInBody()));
  app.post('/sign-in', async (c) => {
    const form = await c.req.parseBody();
    const presented = typeof form.token === 'string' ? form.token.trim() : '';
    const token = presented ? await options.verify(presented) : undefined;
    if (!token)
      return page(c, 'Sign in', signInBody('That token is not valid: it is unknown, revoked or mistyped.'), 401);
    setCookie(c, SESSION_COOKIE, options.sessions.open(token.id), {
      httpOnly: true,
      sameSite: 'Strict',
      secure: isHttps(c, options.trustProxy),
      path: '/',
      maxAge: Math.floor(SESSION_TTL_MS / 1000),
    });
    options.log(`${new Date().toISOString()} sign-in by token "${token.name}" (${token.id})`);
    return c.redirect('/runs', 303);
  });
  app.post('/sign-out', (c) => {
    options.sessions.close(getCookie(c, SESSION_COOKIE));
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.redirect('/sign-in', 303);
  });

  app.get('/runs', readOrSignIn, async (c) => {
    const parsed = RunListQuerySchema.safeParse(
      Object.fromEntries(Object.entries(c.req.query()).filter(([, v]) => v !== '')),
    );
    if (!parsed.success) {
      const problem = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
      const query = RunListQuerySchema.parse({});
      return page(c, 'Runs', renderRunsBody(await readRunPage(options.store, query), query, problem), 400);
    }
    return page(c, 'Runs', renderRunsBody(await readRunPage(options.store, parsed.data), parsed.data));
  });
  app.get('/hosts', readOrSignIn, async (c) => page(c, 'Hosts', renderHostsBody(await options.store.listHosts())));
  app.get('/calibrations', readOrSignIn, async (c) => {
    const engine = c.req.query('engine') || undefined;
    const limits = c.req.query('limits') || undefined;
    const calibrations = await options.store.listCalibrations({
      ...(engine ? { engine } : {}),
      ...(limits ? { limitsKey: limits } : {}),
      limit: 200,
    });
    return page(c, 'Calibrations', renderCalibrationsBody(calibrations, { engine, limits }));
  });
  app.get('/runs/:id', readOrSignIn, async (c) => {
    const id = c.req.param('id') ?? '';
    const run = await runOrNotFound(options.store, id).catch((error: unknown) => {
      if (error instanceof HttpError) return undefined;
      throw error;
    });
    if (!run) return page(c, 'No such run', html`<h2>No run ${id}</h2><p><a href="/runs">All runs</a></p>`, 404);
    const url = `/api/v1/runs/${encodeURIComponent(run.id)}`;
    return page(c, `Run ${run.id}`, renderRunBody(toRunDetail(run, await listArtifacts(run.resultPath), url)));
  });
}
