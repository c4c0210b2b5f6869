import type { Context, Hono, MiddlewareHandler } from 'hono';
import { html } from 'hono/html';
import type { LiveSnapshot } from '../../metrics/live-snapshot.js';
import type { ServerEnv } from '../auth/auth-gate.js';
import { formatInstant, formatRate } from '../dashboard/format.js';
import type { Html } from '../dashboard/page-layout.js';
import type { LiveHub } from './live-hub.js';

/** How the dashboard renders a page: its layout around a body. */
export type RenderPage = (c: Context, title: string, body: Html, status?: 200 | 404) => Response | Promise<Response>;

/** The figures of a live run, side by side, wrapping into two columns on a phone. */
export const LIVE_CSS = `.live-figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(10rem,1fr));gap:.5rem;margin:.8rem 0}
.live-figures div{border:1px solid var(--line);border-radius:4px;padding:.4rem .6rem;min-width:0}
.live-figures dt{font-size:.8rem;color:var(--muted)}.live-figures dd{margin:0;font-size:1.1rem;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
#live-chart{width:100%;min-height:14rem}#live-chart .u-legend{font-size:.8rem}
@media (max-width:40rem){.live-figures{grid-template-columns:1fr 1fr}}`;

const FIGURES: ReadonlyArray<readonly [id: string, label: string]> = [
  ['live-phase', 'Phase'],
  ['live-elapsed', 'Elapsed'],
  ['live-completed', 'Completed'],
  ['live-failed', 'Failed'],
  ['live-in-flight', 'In flight'],
  ['live-requests', 'Requests/s'],
  ['live-tokens', 'Output tokens/s'],
  ['live-ttft-p50', 'TTFT p50'],
  ['live-ttft-p99', 'TTFT p99'],
  ['live-cpu', 'Engine CPU'],
  ['live-memory', 'Engine memory'],
];

/** The page of one run in progress: figures and a chart that the script keeps current. */
export function renderLiveRunBody(runId: string): Html {
  const runPath = `/runs/${encodeURIComponent(runId)}`;
  return html`<link rel="stylesheet" href="/assets/uplot.css"><link rel="stylesheet" href="/assets/live.css">
<section id="live" data-seq="0">
<h2>Run <code>${runId}</code>, live</h2>
<p class="muted"><span id="live-state">waiting for the first snapshot…</span>; rates and TTFT over <span id="live-window">the last 10 s</span>.</p>
<p id="live-done" hidden>Finished: <span id="live-status" class="status"></span>. <a href="${runPath}">The run's page</a> has its full results.</p>
<dl class="live-figures">${FIGURES.map(([id, label]) => html`<div><dt>${label}</dt><dd id="${id}">–</dd></div>`)}</dl>
<div id="live-chart"></div>
</section>
<script src="/assets/uplot.js"></script>
<script src="/assets/live-run.js" data-run="${runId}"></script>`;
}

/** The runs publishing now, each linking to its live page. */
export function renderLiveListBody(
  runs: ReadonlyArray<{ runId: string; latest: LiveSnapshot; updatedAt: string }>,
): Html {
  if (runs.length === 0) {
    return html`<h2>Live runs</h2><p class="muted">No run is publishing here now. <code>kitt run --upload URL</code> with <code>KITT_SERVER_TOKEN</code> set publishes one.</p>`;
  }
  return html`<h2>Live runs</h2>
<div class="scroll"><table><thead><tr><th>Run</th><th>Phase</th><th class="num">Completed</th><th class="num">Output tok/s</th><th>Updated</th></tr></thead><tbody>
${runs.map(
  ({ runId, latest, updatedAt }) =>
    html`<tr><td><a href="/runs/${encodeURIComponent(runId)}/live">${runId}</a></td><td class="${latest.done ? `status status-${latest.status ?? 'done'}` : ''}">${latest.done ? (latest.status ?? 'done') : latest.phase}</td><td class="num">${latest.completed}</td><td class="num">${formatRate(latest.outputTokensPerS, 'tok/s')}</td><td>${formatInstant(updatedAt)}</td></tr>`,
)}
</tbody></table></div>`;
}

/** `/live` and `/runs/{id}/live`, behind the dashboard's sign-in; their assets are the dashboard's (static-assets.ts). */
export function addLivePages(
  app: Hono<ServerEnv>,
  options: { hub: LiveHub; page: RenderPage; readOrSignIn: MiddlewareHandler<ServerEnv> },
): void {
  const { hub, page, readOrSignIn } = options;
  app.get('/live', readOrSignIn, (c) => page(c, 'Live runs', renderLiveListBody(hub.list())));
  app.get('/runs/:id/live', readOrSignIn, (c) => {
    const runId = c.req.param('id') ?? '';
    return page(c, `Run ${runId}, live`, renderLiveRunBody(runId));
  });
}
