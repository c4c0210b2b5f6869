import {
  COMPARE_METRIC_LABELS,
  type ComparisonReport,
  type LatencyComparison,
  type RepeatLevelComparison,
  type RequestLevelComparison,
  type StoredComparison,
} from '../metrics/compare-runs.js';
import type { RepeatMetricComparison } from '../metrics/compare-runs-repeats.js';

/** What an interval drawing needs: a change and its interval, relative. */
interface DrawnChange {
  readonly change: number;
  readonly low: number;
  readonly high: number;
}

/**
 * `kitt compare --html`: the comparison as one self-contained HTML file (no script, no fetch; it
 * opens offline). Beside each statistic an inline SVG draws its change and interval against the
 * noise band, so "the interval lies beyond ±noise" can be seen rather than read.
 */
export function renderComparisonHtml(report: ComparisonReport): string {
  const sections = report.comparisons.map((comparison) =>
    comparison.unit === 'repeats' ? repeatSection(comparison) : requestSection(comparison),
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>kitt compare: ${escapeHtml(report.baseline)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; }
th, td { padding: 2px 10px; text-align: right; border-bottom: 1px solid #eee; }
th:first-child, td:first-child, td:nth-child(2) { text-align: left; }
.slower { color: #b00020; font-weight: 600; }
.faster { color: #1b7f3b; font-weight: 600; }
.warning { color: #8a5a00; }
.note { color: #555; max-width: 60em; }
</style>
</head>
<body>
<h1>kitt compare <small>baseline ${escapeHtml(report.baseline)}</small></h1>
${sections.join('\n')}
${report.method.repeats ? `<p class="note">method across repeats: ${escapeHtml(report.method.repeats)}</p>` : ''}
${report.method.requests ? `<p class="note">method across requests: ${escapeHtml(report.method.requests)}</p>` : ''}
${report.caveat ? `<p class="note">note: ${escapeHtml(report.caveat)}</p>` : ''}
</body>
</html>
`;
}

function warningsOf(comparison: StoredComparison): string {
  const warnings = [
    ...(comparison.comparability.refusal ? [`${comparison.comparability.refusal} (compared with --force)`] : []),
    ...comparison.comparability.warnings.map((w) => `runs differ in ${w}`),
  ];
  return [
    ...warnings.map((w) => `<p class="warning">warning: ${escapeHtml(w)}</p>`),
    ...comparison.notes.map((n) => `<p class="note">note: ${escapeHtml(n)}</p>`),
  ].join('\n');
}

function requestSection(comparison: RequestLevelComparison): string {
  const span = spanOf(
    comparison.latencies.flatMap((l) => l.statistics),
    comparison.noise,
  );
  return `<section>
<h2>${escapeHtml(comparison.candidateId)} <small>against baseline ${escapeHtml(comparison.baselineId)}</small></h2>
${warningsOf(comparison)}
<table>
<thead><tr><th>metric (n)</th><th>stat</th><th>baseline</th><th>candidate</th><th>change</th><th>${((1 - comparison.alpha) * 100).toFixed(0)} % interval</th><th></th><th>p</th><th>verdict</th></tr></thead>
<tbody>
${comparison.latencies.flatMap((latency) => latency.statistics.map((s, i) => latencyRow(latency, s, i, comparison.noise, span))).join('\n')}
${comparison.rates
  .filter((rate) => rate.baseline !== null || rate.candidate !== null)
  .map(
    (rate) =>
      `<tr><td>${COMPARE_METRIC_LABELS[rate.metric]}</td><td>run</td><td>${figure(rate.baseline)}</td><td>${figure(rate.candidate)}</td><td>${rate.change === null ? '-' : signed(rate.change)}</td><td colspan="3">one figure per run</td><td>not tested</td></tr>`,
  )
  .join('\n')}
</tbody>
</table>
</section>`;
}

/** Across repeats: one row per figure, its mean ± sd a side, the Welch interval drawn against the noise band. */
function repeatSection(comparison: RepeatLevelComparison): string {
  const changes = comparison.metrics.flatMap((row) => (row.change ? [row.change] : []));
  const span = spanOf(changes, comparison.noise);
  const { baseline, candidate } = comparison.repeats;
  return `<section>
<h2>${escapeHtml(comparison.candidateId)} <small>against baseline ${escapeHtml(comparison.baselineId)}: across repeats, ${baseline} vs ${candidate} runs (runs as the unit)</small></h2>
${warningsOf(comparison)}
<table>
<thead><tr><th>metric</th><th>stat</th><th>baseline mean ± sd</th><th>candidate mean ± sd</th><th>change</th><th>${((1 - comparison.alpha) * 100).toFixed(0)} % interval</th><th></th><th>p</th><th>verdict</th></tr></thead>
<tbody>
${comparison.metrics.map((row, i) => repeatRow(row, i === 0 || comparison.metrics[i - 1]!.metric !== row.metric, comparison.noise, span)).join('\n')}
</tbody>
</table>
</section>`;
}

function repeatRow(row: RepeatMetricComparison, first: boolean, noise: number, span: number): string {
  const percentile = /\.(p\d+)$/.exec(row.key)?.[1];
  const metric = percentile ? COMPARE_METRIC_LABELS[row.metric] : row.metric;
  const side = (s: RepeatMetricComparison['baseline']) => {
    const digits = s.mean < 100 ? 2 : 1;
    return `${s.mean.toFixed(digits)} ± ${s.sd.toFixed(digits)}${row.unit === 'ms' ? ' ms' : ''}`;
  };
  const verdictClass = row.verdict === 'faster' || row.verdict === 'slower' ? ` class="${row.verdict}"` : '';
  const change = row.change;
  return `<tr><td>${first ? escapeHtml(metric) : ''}</td><td>${escapeHtml(percentile ?? row.unit)}</td><td>${side(row.baseline)}</td><td>${side(row.candidate)}</td><td>${change ? signed(change.change) : '-'}</td><td>${change ? `[${signed(change.low)}, ${signed(change.high)}]` : '-'}</td><td>${change ? intervalSvg(change, noise, span) : ''}</td><td>${pValue(row.welch.p)}</td><td${verdictClass}>${row.verdict ?? ''}</td></tr>`;
}

function latencyRow(
  latency: LatencyComparison,
  s: LatencyComparison['statistics'][number],
  i: number,
  noise: number,
  span: number,
): string {
  const first = i === 0;
  const verdictClass = latency.verdict === 'no significant difference' ? '' : ` class="${latency.verdict}"`;
  return `<tr><td>${first ? `${COMPARE_METRIC_LABELS[latency.metric]} (${latency.requests.baseline}/${latency.requests.candidate})` : ''}</td><td>${s.statistic}</td><td>${ms(s.baseline)}</td><td>${ms(s.candidate)}</td><td>${signed(s.change)}</td><td>${Number.isFinite(s.low) ? `[${signed(s.low)}, ${signed(s.high)}]` : '-'}</td><td>${intervalSvg(s, noise, span)}</td><td>${first ? pValue(latency.rankTest.p) : ''}</td><td${first ? verdictClass : ''}>${first ? latency.verdict : ''}</td></tr>`;
}

/** The half-width of the shared axis: the largest |interval end| of the section, at least twice the noise. */
function spanOf(changes: readonly DrawnChange[], noise: number): number {
  const ends = changes.flatMap((s) => [s.low, s.high, s.change]);
  return Math.max(2 * noise, 0.01, ...ends.filter(Number.isFinite).map(Math.abs));
}

/** 200 × 16 px: the noise band shaded, zero as a line, the interval as a bar and the change as a dot. */
function intervalSvg(s: DrawnChange, noise: number, span: number): string {
  const x = (fraction: number) => (100 + (fraction / span) * 95).toFixed(1);
  const band = `<rect x="${x(-noise)}" y="0" width="${(Number(x(noise)) - Number(x(-noise))).toFixed(1)}" height="16" fill="#eee"/>`;
  const zero = `<line x1="100" y1="0" x2="100" y2="16" stroke="#999"/>`;
  const interval = Number.isFinite(s.low)
    ? `<line x1="${x(s.low)}" y1="8" x2="${x(s.high)}" y2="8" stroke="#333" stroke-width="2"/>`
    : '';
  const dot = Number.isFinite(s.change) ? `<circle cx="${x(s.change)}" cy="8" r="3" fill="#333"/>` : '';
  return `<svg width="200" height="16" viewBox="0 0 200 16" role="img" aria-label="change and interval">${band}${zero}${interval}${dot}</svg>`;
}

const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(value < 100 ? 2 : 1)} ms` : '-');
const signed = (fraction: number) =>
  Number.isFinite(fraction) ? `${fraction >= 0 ? '+' : ''}${(fraction * 100).toFixed(1)}%` : '-';
const pValue = (p: number) => (Number.isNaN(p) ? '-' : p < 0.001 ? '&lt;0.001' : p.toFixed(3));
const figure = (value: number | null) => (value === null ? '-' : value.toFixed(2));

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
