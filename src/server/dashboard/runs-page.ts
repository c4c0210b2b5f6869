import { html } from 'hono/html';
import { LOAD_KINDS } from '../../load/load-spec.js';
import { RUN_STATUSES } from '../../store/store-types.js';
import type { RunListQuery, readRunPage } from '../api/runs-api.js';
import { formatInstant, formatLatency, formatRate } from './format.js';
import type { Html } from './page-layout.js';

type RunPage = Awaited<ReturnType<typeof readRunPage>>;
type ListedRun = RunPage['runs'][number];

const option = (value: string, selected: string | undefined, label = value) =>
  html`<option value="${value}" ${selected === value ? 'selected' : ''}>${label}</option>`;

function filterForm(query: RunListQuery): Html {
  return html`<form class="filters" method="get" action="/runs">
<label>Engine<input name="engine" value="${query.engine ?? ''}" size="10"></label>
<label>Model<input name="model" value="${query.model ?? ''}" size="14"></label>
<label>Host<input name="host" value="${query.host ?? ''}" size="12" placeholder="fingerprint"></label>
<label>Status<select name="status">${option('', query.status, 'any')}${RUN_STATUSES.map((s) => option(s, query.status))}</select></label>
<label>Load<select name="loadKind">${option('', query.loadKind, 'any')}${LOAD_KINDS.map((k) => option(k, query.loadKind))}</select></label>
<label>From<input name="from" type="text" value="${query.from ?? ''}" placeholder="2026-01-01T00:00:00Z" size="20"></label>
<label>To<input name="to" type="text" value="${query.to ?? ''}" size="20"></label>
<label>Sort<select name="sort">${option('-startedAt', query.sort, 'newest')}${option('startedAt', query.sort, 'oldest')}${option('engine', query.sort, 'engine')}${option('model', query.sort, 'model')}${option('status', query.sort, 'status')}</select></label>
<button type="submit">Filter</button> <a href="/runs">clear</a>
</form>`;
}

function runRow(run: ListedRun): Html {
  return html`<tr>
<td><input type="checkbox" name="runs" value="${run.id}" aria-label="compare ${run.id}"> <a href="/runs/${encodeURIComponent(run.id)}">${run.id}</a></td>
<td>${formatInstant(run.startedAt)}</td>
<td><span class="status status-${run.status}">${run.status}</span></td>
<td>${run.engine} <span class="muted">${run.mode}</span></td>
<td>${run.model}</td>
<td>${run.loadKind ?? '–'}${run.levels ? html` <span class="muted">${run.levels}</span>` : ''}</td>
<td class="num">${formatRate(run.requestsPerS, 'req/s')}</td>
<td class="num">${formatRate(run.outputTokensPerS, 'tok/s')}</td>
<td class="num">${formatLatency(run.ttftP50Ms)}</td>
<td class="num">${formatLatency(run.ttftP99Ms)}</td>
<td class="num">${formatLatency(run.tpotP50Ms)}</td>
<td class="reason">${run.failureReason ?? ''}</td>
</tr>`;
}

/**
 * The runs page: the filters, one row per run with its headline figures and a box to tick for a
 * comparison (a plain GET form to /compare, no script), and a link to the next page.
 */
export function renderRunsBody(page: RunPage, query: RunListQuery, problem?: string): Html {
  const next = page.nextCursor
    ? (() => {
        const params = new URLSearchParams();
        for (const [key, value] of Object.entries(query))
          if (value !== undefined && key !== 'cursor') params.set(key, String(value));
        params.set('cursor', page.nextCursor);
        return html`<p class="pager"><a href="/runs?${params.toString()}">Older runs →</a></p>`;
      })()
    : '';
  const table =
    page.runs.length === 0
      ? html`<p>No runs match. ${query.engine || query.status || query.model ? '' : html`Start one with <code>kitt run</code>.`}</p>`
      : html`<form method="get" action="/compare"><div class="scroll"><table>
<thead><tr><th>Run</th><th>Started</th><th>Status</th><th>Engine</th><th>Model</th><th>Load</th><th class="num">Requests</th><th class="num">Output</th><th class="num">TTFT p50</th><th class="num">TTFT p99</th><th class="num">TPOT p50</th><th>Why it failed</th></tr></thead>
<tbody>${page.runs.map(runRow)}</tbody></table></div>
<p><button type="submit">Compare selected</button> <span class="muted">tick two or more runs; the first ticked is the baseline</span></p></form>`;
  return html`<h2>Runs</h2>${filterForm(query)}${problem ? html`<p class="error">${problem}</p>` : ''}${table}${next}`;
}
