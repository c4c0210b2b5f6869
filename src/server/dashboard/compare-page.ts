import { html } from 'hono/html';
import {
  COMPARE_METRIC_LABELS,
  type ComparisonReport,
  type LatencyComparison,
  type RateComparison,
  type RepeatLevelComparison,
  type RequestLevelComparison,
  type StoredComparison,
  type Verdict,
} from '../../metrics/compare-runs.js';
import type { RepeatMetricComparison } from '../../metrics/compare-runs-repeats.js';
import type { StoredRun } from '../../store/store-types.js';
import { formatInstant, formatLatency, formatRate } from './format.js';
import type { Html } from './page-layout.js';

/** What the compare page was asked, as the form holds it. */
export interface CompareAsk {
  readonly runs: readonly string[];
  readonly alpha: number;
  readonly noise: number;
  readonly series: boolean;
  readonly force: boolean;
}

/** A comparison that failed: the one-line reason, and whether forcing it is the fix (different models). */
export interface CompareRefusal {
  readonly message: string;
  readonly hint: string | undefined;
  readonly forceable: boolean;
}

/** How a person reads a verdict: lower latency and higher throughput are both "better". */
const VERDICTS: Record<Verdict, { readonly word: string; readonly tone: string }> = {
  faster: { word: 'better', tone: 'better' },
  slower: { word: 'worse', tone: 'worse' },
  'no significant difference': { word: 'no change', tone: 'same' },
};

const verdictCell = (verdict: Verdict | null) => {
  if (verdict === null) return html`<td></td>`;
  const { word, tone } = VERDICTS[verdict];
  return html`<td class="verdict verdict-${tone}">${word}</td>`;
};

const percent = (fraction: number | null | undefined) =>
  fraction === null || fraction === undefined || !Number.isFinite(fraction)
    ? '–'
    : `${fraction >= 0 ? '+' : '−'}${Math.abs(fraction * 100).toFixed(1)} %`;
const interval = (low: number, high: number) =>
  Number.isFinite(low) && Number.isFinite(high) ? `${percent(low)} … ${percent(high)}` : '–';
const pValue = (p: number) => (Number.isNaN(p) ? '–' : p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`);
const level = (alpha: number) => `${((1 - alpha) * 100).toFixed(0)} %`;

/** The URL of this comparison with some of its parameters changed (force, another baseline). */
export function compareUrl(ask: CompareAsk, change: Partial<CompareAsk> = {}): string {
  const next = { ...ask, ...change };
  const params = new URLSearchParams({ runs: next.runs.join(',') });
  if (next.alpha !== 0.05) params.set('alpha', String(next.alpha));
  if (next.noise !== 0.02) params.set('noise', String(next.noise));
  if (next.series) params.set('series', 'true');
  if (next.force) params.set('force', 'true');
  return `/compare?${params.toString().replace(/%2C/g, ',')}`;
}

function latencyRow(latency: LatencyComparison, alpha: number): Html {
  const p50 = latency.statistics.find((s) => s.statistic === 'p50')!;
  const p99 = latency.statistics.find((s) => s.statistic === 'p99');
  return html`<tr><td>${COMPARE_METRIC_LABELS[latency.metric]} p50 <span class="muted">(${latency.requests.baseline} / ${latency.requests.candidate})</span></td>${verdictCell(latency.verdict)}<td class="num">${percent(p50.change)}</td><td class="num">${pValue(latency.rankTest.p)}</td><td class="num" title="${level(alpha)} bootstrap interval">${interval(p50.low, p50.high)}</td><td class="num">${formatLatency(p50.baseline)}</td><td class="num">${formatLatency(p50.candidate)}</td><td class="num">${p99 ? percent(p99.change) : '–'}</td></tr>`;
}

function rateRow(rate: RateComparison): Html {
  const unit = rate.metric === 'throughput' ? 'tok/s' : 'req/s';
  return html`<tr><td>${COMPARE_METRIC_LABELS[rate.metric]}</td><td class="verdict verdict-same">–</td><td class="num">${percent(rate.change)}</td><td class="muted" colspan="2">one figure per run: not tested</td><td class="num">${formatRate(rate.baseline, unit)}</td><td class="num">${formatRate(rate.candidate, unit)}</td><td></td></tr>`;
}

function requestTable(comparison: RequestLevelComparison): Html {
  const rates = comparison.rates.filter((rate) => rate.baseline !== null || rate.candidate !== null);
  return html`<div class="scroll"><table>
<thead><tr><th>Metric <span class="muted">(requests)</span></th><th>Verdict</th><th class="num">Change</th><th class="num">Significance</th><th class="num">${level(comparison.alpha)} interval</th><th class="num">Baseline</th><th class="num">Candidate</th><th class="num">p99 change</th></tr></thead>
<tbody>${comparison.latencies.map((latency) => latencyRow(latency, comparison.alpha))}${rates.map(rateRow)}</tbody></table></div>`;
}

function repeatFigure(row: RepeatMetricComparison, side: RepeatMetricComparison['baseline']): string {
  const figure = (value: number) => (row.unit === 'ms' ? formatLatency(value) : formatRate(value, row.unit));
  return `${figure(side.mean)} ± ${row.unit === 'ms' ? formatLatency(side.sd) : formatRate(side.sd, row.unit)}`;
}

function repeatTable(comparison: RepeatLevelComparison): Html {
  return html`<div class="scroll"><table>
<thead><tr><th>Metric <span class="muted">(${comparison.repeats.baseline} / ${comparison.repeats.candidate} runs)</span></th><th>Verdict</th><th class="num">Change</th><th class="num">Significance</th><th class="num">${level(comparison.alpha)} interval</th><th class="num">Baseline mean ± sd</th><th class="num">Candidate mean ± sd</th></tr></thead>
<tbody>${comparison.metrics.map(
    (row) =>
      html`<tr><td>${row.label}</td>${verdictCell(row.verdict)}<td class="num">${percent(row.change?.change)}</td><td class="num">${pValue(row.welch.p)}</td><td class="num">${row.change ? interval(row.change.low, row.change.high) : '–'}</td><td class="num">${repeatFigure(row, row.baseline)}</td><td class="num">${repeatFigure(row, row.candidate)}</td></tr>`,
  )}</tbody></table></div>`;
}

function comparisonSection(comparison: StoredComparison): Html {
  const remarks = [
    ...(comparison.comparability.refusal ? [`${comparison.comparability.refusal} (compared anyway: force)`] : []),
    ...comparison.comparability.warnings.map((w) => `the runs differ in ${w}`),
  ];
  const unit =
    comparison.unit === 'repeats' ? 'across repeats, each run one value' : 'request by request (single runs)';
  return html`<section class="comparison">
<h2>${comparison.candidateId} <span class="muted">against baseline ${comparison.baselineId}, ${unit}</span></h2>
${remarks.map((r) => html`<p class="error">${r}</p>`)}${comparison.notes.map((n) => html`<p class="muted">${n}</p>`)}
${comparison.unit === 'repeats' ? repeatTable(comparison) : requestTable(comparison)}
</section>`;
}

function sidesList(report: ComparisonReport, ask: CompareAsk): Html {
  return html`<ol class="sides">${report.sides.map(
    (side, i) =>
      html`<li>${i === 0 ? html`<strong>baseline</strong> ` : ''}${side.kind === 'series' ? 'series' : 'run'} ${side.kind === 'run' ? html`<a href="/runs/${encodeURIComponent(side.id)}">${side.id}</a>` : side.id}${side.kind === 'series' ? html` <span class="muted">(${side.runIds.length} completed repeats)</span>` : ''}${i === 0 ? '' : html` · <a href="${compareUrl(ask, { runs: [ask.runs[i]!, ...ask.runs.filter((_, j) => j !== i)] })}">make it the baseline</a>`}</li>`,
  )}</ol>`;
}

/** The form that picks what to compare: ids typed or ticked from the latest runs, and the test's knobs. */
function pickForm(ask: CompareAsk, recent: readonly StoredRun[]): Html {
  return html`<form class="filters" method="get" action="/compare">
<label>Runs (baseline first, comma-separated)<input name="runs" value="${ask.runs.join(',')}" size="40" placeholder="BASELINE,CANDIDATE"></label>
<label>Significance level<input name="alpha" value="${ask.alpha}" size="5"></label>
<label>Noise band<input name="noise" value="${ask.noise}" size="5"></label>
<label><span><input type="checkbox" name="series" value="true" ${ask.series ? 'checked' : ''}> whole series</span></label>
<label><span><input type="checkbox" name="force" value="true" ${ask.force ? 'checked' : ''}> different models too</span></label>
<button type="submit">Compare</button>
${
  recent.length
    ? html`<div class="scroll recent"><table><thead><tr><th></th><th>Latest runs</th><th>Started</th><th>Engine</th><th>Model</th></tr></thead><tbody>${recent.map(
        (run) =>
          html`<tr><td class="select"><input type="checkbox" name="runs" value="${run.id}" aria-label="compare ${run.id}"></td><td>${run.id}</td><td>${formatInstant(run.startedAt)}</td><td>${run.engine}</td><td>${run.model}</td></tr>`,
      )}</tbody></table></div>`
    : ''
}
</form>`;
}

/**
 * The compare page: the pick form, then what `GET /api/v1/compare` answers for the same query, as
 * a table per candidate with the verdict per metric (better, worse, no change), its change, interval
 * and p; or the reason the runs cannot be compared, with the link that forces it when that is the fix.
 */
export function renderCompareBody(
  ask: CompareAsk,
  recent: readonly StoredRun[],
  outcome: { readonly report: ComparisonReport } | { readonly refusal: CompareRefusal } | null,
): Html {
  const form = pickForm(ask, recent);
  if (outcome === null)
    return html`<h2>Compare runs</h2><p>Pick two or more runs: the first is the baseline, each other one is compared with it.</p>${form}`;
  if ('refusal' in outcome) {
    const { message, hint, forceable } = outcome.refusal;
    return html`<h2>Compare runs</h2>${form}<p class="error refusal">These runs cannot be compared: ${message}.</p>
${forceable ? html`<p><a class="force" href="${compareUrl(ask, { force: true })}">Compare them anyway</a> <span class="muted">(a faster run of another model says nothing about the engine)</span></p>` : hint ? html`<p class="muted">${hint}</p>` : ''}`;
  }
  const { report } = outcome;
  return html`<h2>Compare runs</h2>${sidesList(report, ask)}
${report.comparisons.map(comparisonSection)}
${report.method.requests ? html`<p class="muted">Method across requests: ${report.method.requests}.</p>` : ''}
${report.method.repeats ? html`<p class="muted">Method across repeats: ${report.method.repeats}.</p>` : ''}
${report.caveat ? html`<p class="muted">Note: ${report.caveat}.</p>` : ''}
<details><summary>Compare other runs</summary>${form}</details>`;
}
