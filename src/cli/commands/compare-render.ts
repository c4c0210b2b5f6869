import {
  COMPARE_METRIC_LABELS,
  type ComparisonReport,
  type LatencyComparison,
  type RateComparison,
} from '../../metrics/compare-runs.js';
import { plainTable as table } from '../plain-table.js';

const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(value < 100 ? 2 : 1)} ms` : '-');
const signed = (fraction: number) =>
  Number.isFinite(fraction) ? `${fraction >= 0 ? '+' : ''}${(fraction * 100).toFixed(1)}%` : '-';
const pValue = (p: number) => (Number.isNaN(p) ? '-' : p < 0.001 ? '<0.001' : p.toFixed(3));

/** Four rows per latency metric; the p-value and verdict sit on the p50 row, the statistic they judge. */
function latencyRows(latency: LatencyComparison): string[][] {
  return latency.statistics.map((s, i) => [
    i === 0
      ? `${COMPARE_METRIC_LABELS[latency.metric]} (${latency.requests.baseline}/${latency.requests.candidate})`
      : '',
    s.statistic,
    ms(s.baseline),
    ms(s.candidate),
    signed(s.change),
    Number.isFinite(s.low) ? `[${signed(s.low)}, ${signed(s.high)}]` : '-',
    i === 0 ? pValue(latency.rankTest.p) : '',
    i === 0 ? latency.verdict : '',
  ]);
}

function rateRow(rate: RateComparison): string[] {
  const figure = (value: number | null) => (value === null ? '-' : value.toFixed(2));
  return [
    COMPARE_METRIC_LABELS[rate.metric]!,
    'run',
    figure(rate.baseline),
    figure(rate.candidate),
    rate.change === null ? '-' : signed(rate.change),
    'one figure per run',
    '',
    'not tested',
  ];
}

function renderOne(comparison: ComparisonReport['comparisons'][number], confidence: string): string {
  const header = ['METRIC (n)', 'STAT', 'BASELINE', 'CANDIDATE', 'CHANGE', `${confidence} CI`, 'P', 'VERDICT'];
  // a rate neither run has (goodput without an SLO) is left out rather than shown as dashes
  const rates = comparison.rates.filter((rate) => rate.baseline !== null || rate.candidate !== null);
  const rows = [...comparison.latencies.flatMap(latencyRows), ...rates.map(rateRow)];
  const warnings = [
    ...(comparison.comparability.refusal ? [`${comparison.comparability.refusal} (compared with --force)`] : []),
    ...comparison.comparability.warnings.map((w) => `runs differ in ${w}`),
  ];
  return [
    `${comparison.candidateId} against baseline ${comparison.baselineId}`,
    ...warnings.map((w) => `warning: ${w}`),
    table([header, ...rows]),
  ].join('\n');
}

/** The comparison as text for a terminal. */
export function renderComparison(report: ComparisonReport): string {
  const first = report.comparisons[0];
  const confidence = first ? `${((1 - first.alpha) * 100).toFixed(0)}%` : '95%';
  const parts = report.comparisons.map((comparison) => renderOne(comparison, confidence));
  return `${[...parts, `method: ${report.method}`, `note: ${report.caveat}`].join('\n\n')}\n`;
}
