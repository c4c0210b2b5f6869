import type { Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import { compareStoredRuns } from '../../app/compare/compare-stored-runs.js';
import { KittError } from '../../core/errors.js';
import type { Store } from '../../store/store-types.js';
import { HttpError } from '../api/api-errors.js';
import { RunListQuerySchema } from '../api/api-schemas.js';
import { CompareQuerySchema } from '../api/compare-api.js';
import { listArtifacts } from '../api/run-files.js';
import { toRunDetail } from '../api/run-views.js';
import { readRunPage, runOrNotFound } from '../api/runs-api.js';
import type { VerifyApiToken } from '../auth/api-tokens.js';
import type { AuthGate, ServerEnv } from '../auth/auth-gate.js';
import { SESSION_COOKIE, SESSION_TTL_MS, type Sessions } from '../auth/sessions.js';
import { liveHubOf } from '../live/live-hub.js';
import { addLivePages } from '../live/live-pages.js';
import { renderCalibrationsBody, renderHostsBody } from './catalog-pages.js';
import { type CompareAsk, type CompareRefusal, renderCompareBody } from './compare-page.js';
import { DASHBOARD_CSP, type Html, renderPage } from './page-layout.js';
import { createRunChartReader } from './run-charts.js';
import { renderRunBody } from './run-page.js';
import { renderRunsBody } from './runs-page.js';
import { addStaticAssets } from './static-assets.js';

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
 * The compare page's query, read as GET /api/v1/compare reads it. `runs` comes comma-separated, or
 * once per ticked box from a form (both at once too); a run named twice counts once.
 */
function readCompareAsk(c: Context): CompareAsk | { problem: string; runs: string[] } {
  const names = (c.req.queries('runs') ?? []).flatMap((value) => value.split(',')).map((name) => name.trim());
  const runs = [...new Set(names.filter(Boolean))];
  const query = Object.fromEntries(
    ['alpha', 'noise', 'series', 'force'].flatMap((key) => {
      const value = c.req.query(key);
      return value ? [[key, value]] : [];
    }),
  );
  // one run is not yet a comparison: the page shows the form with it filled in
  const parsed = CompareQuerySchema.safeParse({ ...query, runs: runs.length < 2 ? 'a,b' : runs.join(',') });
  if (!parsed.success)
    return { runs, problem: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  const { alpha, noise, series, force } = parsed.data;
  return { runs, alpha, noise, series, force };
}

/** A comparison the use case refused (unknown runs, different models): the page says why. */
function refusalOf(error: unknown, ask: CompareAsk): CompareRefusal | undefined {
  if (!(error instanceof KittError) || error.code !== 'USAGE') return undefined;
  // the use case's fix for different models is --force; on the page that is the force link
  const forceable = !ask.force && (error.hint ?? '').includes('--force');
  return { message: error.message, hint: error.hint, forceable };
}

/**
 * The dashboard: server-rendered pages over the same use cases as the API. A page that needs a
 * token the visitor has not given sends them to the sign-in page; signing in opens a session
 * (an HttpOnly, SameSite=Strict cookie, Secure over TLS) that stands for the token on reads.
 */
export function addDashboard(app: Hono<ServerEnv>, options: DashboardOptions): void {
  const page = (c: Context, title: string, body: Html, status: 200 | 400 | 401 | 404 = 200) => {
    c.header('content-security-policy', DASHBOARD_CSP);
    return c.html(
      renderPage({ title, body, signedIn: getCookie(c, SESSION_COOKIE) !== undefined, version: options.version }),
      status,
    );
  };
  const readRunCharts = createRunChartReader();
  addStaticAssets(app);
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
    const detail = toRunDetail(run, await listArtifacts(run.resultPath), url);
    return page(c, `Run ${run.id}`, renderRunBody(detail, await readRunCharts(run)));
  });
  app.get('/compare', readOrSignIn, async (c) => {
    const recent = await options.store.listRuns({ status: 'succeeded', limit: 12 });
    const asked = readCompareAsk(c);
    if ('problem' in asked) {
      const ask = { runs: asked.runs, alpha: 0.05, noise: 0.02, series: false, force: false };
      const refusal = { message: asked.problem, hint: undefined, forceable: false };
      return page(c, 'Compare', renderCompareBody(ask, recent, { refusal }), 400);
    }
    if (asked.runs.length < 2) return page(c, 'Compare', renderCompareBody(asked, recent, null));
    try {
      const report = await compareStoredRuns(options.store, { names: asked.runs, ...asked });
      return page(c, 'Compare', renderCompareBody(asked, recent, { report }));
    } catch (error) {
      const refusal = refusalOf(error, asked);
      if (!refusal) throw error;
      return page(c, 'Compare', renderCompareBody(asked, recent, { refusal }), 400);
    }
  });
}
