import { html } from 'hono/html';
import type { toRunDetail } from '../api/run-views.js';
import { renderChartSections } from './chart-figures.js';
import { formatDuration, formatInstant, formatLatency, formatRate, formatSize } from './format.js';
import type { Html } from './page-layout.js';
import type { RunCharts } from './run-charts.js';

type RunDetail = ReturnType<typeof toRunDetail>;

interface Distribution {
  readonly count?: number;
  readonly p50?: number | null;
  readonly p90?: number | null;
  readonly p99?: number | null;
  readonly max?: number | null;
}

const LATENCIES: ReadonlyArray<readonly [string, string]> = [
  ['ttftMs', 'TTFT (send → first token)'],
  ['tpotMs', 'TPOT (per output token)'],
  ['itlMs', 'ITL (between tokens)'],
  ['e2eMs', 'E2E (send → end)'],
  ['queueMs', 'queue (schedule → send)'],
];

const at = (value: unknown, key: string): unknown =>
  value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

function latencyTable(metrics: unknown): Html {
  const rows = LATENCIES.flatMap(([key, label]) => {
    const d = at(metrics, key) as Distribution | undefined;
    if (!d?.count) return [];
    return [
      html`<tr><td>${label}</td><td class="num">${d.count}</td><td class="num">${formatLatency(d.p50)}</td><td class="num">${formatLatency(d.p90)}</td><td class="num">${formatLatency(d.p99)}</td><td class="num">${formatLatency(d.max)}</td></tr>`,
    ];
  });
  if (rows.length === 0) return html`<p class="muted">No latencies recorded.</p>`;
  return html`<div class="scroll"><table><thead><tr><th>Latency</th><th class="num">count</th><th class="num">p50</th><th class="num">p90</th><th class="num">p99</th><th class="num">max</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function stagesTable(stages: unknown): Html {
  const rows = at(stages, 'stages');
  if (!Array.isArray(rows) || rows.length < 2) return html``;
  return html`<h2>Stages</h2><div class="scroll"><table><thead><tr><th>Stage</th><th>Offered</th><th class="num">Requests</th><th class="num">Output</th><th class="num">TTFT p50</th><th class="num">E2E p50</th></tr></thead><tbody>${rows.map(
    (row: unknown) =>
      html`<tr><td>${String(at(row, 'stage') ?? '')}</td><td>${offered(row)}</td><td class="num">${formatRate(num(at(row, 'requestsPerS')), 'req/s')}</td><td class="num">${formatRate(num(at(row, 'outputTokensPerS')), 'tok/s')}</td><td class="num">${formatLatency(num(at(at(row, 'ttftMs'), 'p50')))}</td><td class="num">${formatLatency(num(at(at(row, 'e2eMs'), 'p50')))}</td></tr>`,
  )}</tbody></table></div>`;
}

function offered(row: unknown): string {
  const level = num(at(row, 'offered'));
  if (level === null) return '–';
  return at(row, 'unit') === 'concurrency' ? `${level} users` : `${level}/s`;
}

/**
 * A run's page: what ran where, its headline figures, latencies, stages, the charts of its report
 * (or a note saying why there are none), its warnings and its files (report.html first).
 */
export function renderRunBody(detail: RunDetail, charts: RunCharts): Html {
  const { run, metrics } = detail;
  const requests = at(metrics, 'requests');
  const throughput = at(metrics, 'throughput');
  const artifacts = detail.artifacts.length
    ? html`<ul>${detail.artifacts.map((a) => html`<li><a href="${a.url}">${a.name}</a> <span class="muted">${formatSize(a.bytes)}</span></li>`)}</ul>`
    : html`<p class="muted">No result files on this server for this run.</p>`;
  return html`<h2>Run ${run.id}</h2>
<dl class="facts">
<dt>Status</dt><dd><span class="status status-${run.status}">${run.status}</span>${run.failureReason ? html` — <span class="error">${run.failureReason}</span>` : ''}</dd>
<dt>Engine</dt><dd>${run.engine} (${run.mode})</dd>
<dt>Model</dt><dd>${run.model}${run.modelSizeBytes ? html` <span class="muted">${formatSize(run.modelSizeBytes)}</span>` : ''}</dd>
<dt>Load</dt><dd>${run.loadKind ?? '–'} ${run.levels ?? ''}</dd>
<dt>Started</dt><dd>${formatInstant(run.startedAt)}, took ${formatDuration(run.startedAt, run.finishedAt)}</dd>
<dt>Host</dt><dd>${run.host ? html`<a href="/runs?host=${run.host}">${run.host.slice(0, 12)}</a>` : '–'}</dd>
<dt>Requests</dt><dd>${String(num(at(requests, 'succeeded')) ?? '–')} succeeded of ${String(num(at(requests, 'total')) ?? '–')}</dd>
<dt>Throughput</dt><dd>${formatRate(run.requestsPerS, 'req/s')}, ${formatRate(num(at(throughput, 'outputTokensPerS')), 'output tok/s')}</dd>
</dl>
${detail.partial ? html`<p class="error">These figures cover only the part of the run before it failed.</p>` : ''}
<h2>Latency</h2>${latencyTable(metrics)}
${stagesTable(detail.stages)}
${charts.note ? html`<p class="muted chart-note">${charts.note}</p>` : ''}
${renderChartSections(charts.sections)}
${detail.warnings.length ? html`<h2>Warnings</h2><ul>${detail.warnings.map((w) => html`<li>${w}</li>`)}</ul>` : ''}
<h2>Files</h2>${artifacts}`;
}
