import {
  COMPARE_METRIC_LABELS,
  type ComparisonReport,
  type LatencyComparison,
  type RateComparison,
  type RepeatLevelComparison,
  type RequestLevelComparison,
  type StoredComparison,
} from '../../metrics/compare-runs.js';
import type { RepeatMetricComparison } from '../../metrics/compare-runs-repeats.js';
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

function warningsOf(comparison: StoredComparison): string[] {
  return [
    ...(comparison.comparability.refusal ? [`${comparison.comparability.refusal} (compared with --force)`] : []),
    ...comparison.comparability.warnings.map((w) => `runs differ in ${w}`),
  ];
}

function renderRequestLevel(comparison: RequestLevelComparison, confidence: string): string {
  const header = ['METRIC (n)', 'STAT', 'BASELINE', 'CANDIDATE', 'CHANGE', `${confidence} CI`, 'P', 'VERDICT'];
  // a rate neither run has (goodput without an SLO) is left out rather than shown as dashes
  const rates = comparison.rates.filter((rate) => rate.baseline !== null || rate.candidate !== null);
  const rows = [...comparison.latencies.flatMap(latencyRows), ...rates.map(rateRow)];
  return [
    `${comparison.candidateId} against baseline ${comparison.baselineId}`,
    ...warningsOf(comparison).map((w) => `warning: ${w}`),
    ...comparison.notes.map((n) => `note: ${n}`),
    table([header, ...rows]),
  ].join('\n');
}

/** How a figure across repeats reads in the METRIC and STAT columns: `TTFT p50`, `throughput tok/s`. */
export function repeatRowLabels(row: RepeatMetricComparison): { metric: string; stat: string } {
  const percentile = /\.(p\d+)$/.exec(row.key)?.[1];
  if (percentile) return { metric: COMPARE_METRIC_LABELS[row.metric], stat: percentile };
  return { metric: row.metric, stat: row.unit };
}

/** `26.51 ± 0.40 ms`: the mean over the repeats and their sample sd. */
export function meanAndSd(side: RepeatMetricComparison['baseline'], unit: string): string {
  const digits = side.mean < 100 ? 2 : 1;
  return `${side.mean.toFixed(digits)} ± ${side.sd.toFixed(digits)}${unit === 'ms' ? ' ms' : ''}`;
}

function repeatRows(rows: readonly RepeatMetricComparison[]): string[][] {
  return rows.map((row, i) => {
    const { metric, stat } = repeatRowLabels(row);
    const first = i === 0 || rows[i - 1]!.metric !== row.metric;
    return [
      first ? metric : '',
      stat,
      meanAndSd(row.baseline, row.unit),
      meanAndSd(row.candidate, row.unit),
      row.change ? signed(row.change.change) : '-',
      row.change ? `[${signed(row.change.low)}, ${signed(row.change.high)}]` : '-',
      pValue(row.welch.p),
      row.verdict ?? '',
    ];
  });
}

function renderRepeatLevel(comparison: RepeatLevelComparison, confidence: string): string {
  const { baseline, candidate } = comparison.repeats;
  const header = [
    'METRIC',
    'STAT',
    'BASELINE mean ± sd',
    'CANDIDATE mean ± sd',
    'CHANGE',
    `${confidence} CI`,
    'P',
    'VERDICT',
  ];
  return [
    `${comparison.candidateId} against baseline ${comparison.baselineId}: across repeats, ${baseline} vs ${candidate} runs (runs as the unit)`,
    ...warningsOf(comparison).map((w) => `warning: ${w}`),
    ...comparison.notes.map((n) => `note: ${n}`),
    table([header, ...repeatRows(comparison.metrics)]),
  ].join('\n');
}

/** The comparison as text for a terminal. */
export function renderComparison(report: ComparisonReport): string {
  const first = report.comparisons[0];
  const confidence = first ? `${((1 - first.alpha) * 100).toFixed(0)}%` : '95%';
  const parts = report.comparisons.map((comparison) =>
    comparison.unit === 'repeats'
      ? renderRepeatLevel(comparison, confidence)
      : renderRequestLevel(comparison, confidence),
  );
  const methods = [
    ...(report.method.repeats ? [`method across repeats: ${report.method.repeats}`] : []),
    ...(report.method.requests ? [`method across requests: ${report.method.requests}`] : []),
  ];
  return `${[...parts, ...methods, ...(report.caveat ? [`note: ${report.caveat}`] : [])].join('\n\n')}\n`;
}
