import type { EngineCrossCheck, PairedComparison } from './engine-cross-check.js';
import type { GpuSummary } from './gpu-energy.js';
import type { DistributionSummary } from './latency-histogram.js';
import type { LatencyMetricName } from './metric-histograms.js';
import { SLO_NAMES } from './slo.js';
import type { RunMetrics } from './summarize-run.js';
import type { StageSummary, StagesSummary } from './summarize-stages.js';

/** Latency rows in the order a reader wants them, with what each one is. */
const LATENCY_ROWS: ReadonlyArray<readonly [LatencyMetricName, string]> = [
  ['ttftMs', 'TTFT, send → first content token'],
  ['ttfrMs', 'TTFR, send → first reasoning token'],
  ['ttftFromScheduleMs', 'TTFT from schedule'],
  ['tpotMs', 'TPOT, first → last token / (n − 1)'],
  ['tpotVllmMs', 'TPOT as vLLM, (E2E − TTFT) / (n − 1)'],
  ['itlMs', 'ITL per token'],
  ['chunkGapMs', 'gap per chunk'],
  ['e2eMs', 'E2E, send → end'],
  ['e2eFromScheduleMs', 'E2E from schedule'],
  ['queueMs', 'queue, schedule → send'],
  ['slotWaitMs', 'slot wait (in-flight cap)'],
  ['sendLatenessMs', 'send lateness (client)'],
  ['timeToHeadersMs', 'send → headers'],
];

const STAT_COLUMNS = ['count', 'mean', 'std', 'p50', 'p90', 'p95', 'p99', 'p999', 'max'] as const;
const STAT_HEADERS = ['count', 'mean', 'std', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max'];

/** Milliseconds with precision that suits their size; "–" for no value. */
export function formatMs(value: number | null): string {
  if (value === null) return '–';
  const digits = Math.abs(value) < 10 ? 2 : Math.abs(value) < 1000 ? 1 : 0;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function formatRate(value: number | null): string {
  if (value === null) return '–';
  return value.toLocaleString('en-US', { maximumFractionDigits: value < 100 ? 2 : 1 });
}

const formatPercent = (value: number | null) => (value === null ? '–' : `${value.toFixed(1)} %`);

function latencyRows(metrics: RunMetrics): string[][] {
  return LATENCY_ROWS.filter(([name]) => metrics[name].count > 0 || name === 'ttftMs' || name === 'e2eMs').map(
    ([name, label]) => {
      const summary: DistributionSummary = metrics[name];
      return [
        `${label} (ms)`,
        ...STAT_COLUMNS.map((c) => (c === 'count' ? String(summary.count) : formatMs(summary[c]))),
      ];
    },
  );
}

function headlineRows(metrics: RunMetrics): string[][] {
  const { requests: r, throughput: t, concurrency: c, window: w } = metrics;
  const errors = Object.entries(r.errorsByKind)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  const rows = [
    [
      'requests',
      `${r.total} measured: ${r.succeeded} succeeded, ${r.failed} failed, ${r.dropped} dropped, ${r.aborted} aborted` +
        // metrics.json of older runs has no retried count
        ((r.retried ?? 0) > 0 ? `; ${r.retried} resent after a stale connection` : ''),
    ],
    ['errors by kind', errors || 'none'],
    ['window', `${w.durationS.toFixed(2)} s (${w.source})`],
    ['requests/s', formatRate(t.requestsPerS)],
    ['output tokens/s', formatRate(t.outputTokensPerS)],
    ['total tokens/s', formatRate(t.totalTokensPerS)],
    ['in flight', `mean ${formatRate(c.meanInFlight)}, peak ${c.peakInFlight}`],
    ['output tokens/request', formatRate(metrics.tokens.outputPerRequestMean)],
  ];
  if (metrics.slo) {
    const s = metrics.slo;
    const bounds = SLO_NAMES.flatMap((n) => (s.bounds[n] === undefined ? [] : [`${n} ≤ ${s.bounds[n]}`])).join(', ');
    if (bounds !== '') {
      rows.push(
        ['SLO', bounds],
        ['goodput requests/s', formatRate(s.goodputRequestsPerS)],
        ['SLO attainment', `${formatPercent(s.attainmentPercent)} (${s.goodRequests} of ${s.eligibleRequests})`],
      );
    }
    // metrics.json of older runs has no percentile verdicts
    for (const verdict of s.percentiles ?? []) {
      const verdictText = verdict.met === null ? 'not measured' : verdict.met ? 'met' : 'MISSED';
      rows.push([`SLO ${verdict.term}`, `${verdictText} (measured ${formatMs(verdict.measuredMs)})`]);
    }
  }
  return rows;
}

function alignedTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The run summary as aligned plain text for a terminal; a run of several stages adds one row per stage. */
export function renderSummaryTable(metrics: RunMetrics, stages?: StagesSummary): string {
  const headline = headlineRows(metrics);
  const labelWidth = Math.max(...headline.map(([label]) => label!.length));
  const top = headline.map(([label, value]) => `${label!.padEnd(labelWidth)}  ${value}`).join('\n');
  const perStage = stages && stages.stages.length > 1 ? `\n${renderStageTable(stages)}` : '';
  return `${top}\n\n${alignedTable(['latency', ...STAT_HEADERS], latencyRows(metrics))}\n${perStage}`;
}

/** A stage column: its header and how a row fills it. */
type StageColumn = readonly [header: string, cell: (row: StageSummary) => string];

const percentileColumns = (
  label: string,
  name: 'ttftMs' | 'tpotMs' | 'itlMs' | 'e2eMs',
  which: readonly ('p50' | 'p90' | 'p99')[],
) => which.map((p): StageColumn => [`${label} ${p}`, (row) => formatMs(row[name][p])]);

function stageColumns(stages: StagesSummary, full: boolean): StageColumn[] {
  const unit = stages.stages[0]?.unit === 'concurrency' ? 'users' : 'req/s';
  const all = ['p50', 'p90', 'p99'] as const;
  const columns: StageColumn[] = [
    ['stage', (row) => stageName(row)],
    [`offered ${unit}`, (row) => formatRate(row.offered)],
    [`achieved ${unit}`, (row) => formatRate(row.achieved)],
    ['req/s', (row) => formatRate(row.requestsPerS)],
    ['out tok/s', (row) => formatRate(row.outputTokensPerS)],
    ...percentileColumns('TTFT', 'ttftMs', all),
    ...percentileColumns('TPOT', 'tpotMs', full ? all : ['p50', 'p99']),
    ...percentileColumns('ITL', 'itlMs', full ? all : ['p50']),
    ...percentileColumns('E2E', 'e2eMs', full ? all : ['p50', 'p99']),
  ];
  if (stages.stages.some((row) => row.goodputRequestsPerS !== null)) {
    columns.push(
      ['goodput', (row) => formatRate(row.goodputRequestsPerS)],
      ['SLO', (row) => formatPercent(row.sloAttainmentPercent)],
    );
  }
  columns.push(['errors', (row) => String(row.errors)]);
  return columns;
}

/** `2` for the second stage, `1.3` for the third slice of a ramp. */
const stageName = (row: { stage: number; slice: number | null }) =>
  row.slice === null ? `${row.stage + 1}` : `${row.stage + 1}.${row.slice + 1}`;

/** One sentence each for the knee and the level of most goodput. */
export function describeKnee(stages: StagesSummary): string[] {
  const unit = stages.stages[0]?.unit === 'concurrency' ? ' users' : ' req/s';
  const rule = stages.kneeRule;
  const { knee, maxGoodput } = stages;
  const lines = [
    knee === null
      ? 'knee: none found (fewer than two levels, or the lowest level did not keep up)'
      : knee.bent
        ? `knee: ${formatRate(knee.offered)}${unit} (stage ${stageName(knee)}); past it ${knee.reason}`
        : `knee: not reached, every level up to ${formatRate(knee.offered)}${unit} kept up`,
    `  (keeps up: achieved ≥ ${rule.keepUpFraction * 100} % of offered; latency turned up: ${stages.kneeLatency} > ${rule.latencyFactor}× the previous level's and > ${rule.latencyFloorMs} ms above it)`,
  ];
  if (maxGoodput) {
    const what = maxGoodput.basis === 'goodput' ? 'goodput' : 'requests/s (no SLO given)';
    lines.push(
      `most ${what}: ${formatRate(maxGoodput.requestsPerS)} req/s at ${formatRate(maxGoodput.offered)}${unit} (stage ${stageName(maxGoodput)})`,
    );
  }
  return lines;
}

/** One row per stage as aligned text, with the knee beneath. */
export function renderStageTable(stages: StagesSummary): string {
  const columns = stageColumns(stages, false);
  const rows = stages.stages.map((row) => columns.map(([, cell]) => cell(row)));
  return `${alignedTable(
    columns.map(([header]) => header),
    rows,
  )}\n${describeKnee(stages).join('\n')}\n`;
}

function stageSection(stages: StagesSummary): string {
  const columns = stageColumns(stages, true);
  const rows = stages.stages.map((row) => columns.map(([, cell]) => cell(row)));
  return `## Stages\n\nOne row per stage, each over its own measured window (latencies in ms). Definitions: docs/metrics.md, "Stages".\n\n${markdownTable(
    columns.map(([header]) => header),
    rows,
  )}\n\n${describeKnee(stages)
    .map((line) => `- ${line.trim()}`)
    .join('\n')}`;
}

/** What summary.md says about the run besides its metrics. */
export interface SummaryContext {
  readonly title: string;
  /** Key facts shown first: engine, model, limits, load model, start time... */
  readonly facts?: Readonly<Record<string, string>>;
  readonly crossCheck?: EngineCrossCheck;
  /** Warnings to show prominently (client saturation, missing ignore_eos, ...). */
  readonly warnings?: readonly string[];
  /** GPU utilisation, power and energy over the window, when the host had nvidia-smi. */
  readonly gpu?: GpuSummary | null;
  /** Per-stage rows; shown when the run had more than one stage. */
  readonly stages?: StagesSummary;
}

const escapeCell = (text: string) => text.replaceAll('|', '\\|');

function markdownTable(header: readonly string[], rows: readonly (readonly string[])[], rightFrom = 1): string {
  const align = header.map((_, i) => (i >= rightFrom ? '---:' : '---'));
  return [header, align, ...rows].map((r) => `| ${r.map(escapeCell).join(' | ')} |`).join('\n');
}

function crossCheckRows(check: EngineCrossCheck): string[][] {
  const paired = (label: string, c: PairedComparison) => [
    label,
    String(c.pairs),
    formatMs(c.clientMean),
    formatMs(c.engineMean),
    formatMs(c.deltaMean),
    formatPercent(c.deltaPercent),
  ];
  const rows = [paired('TTFT (ms, mean)', check.ttftMs), paired('TPOT (ms, mean)', check.tpotMs)];
  const counts: Array<[string, EngineCrossCheck['outputTokens']]> = [
    ['output tokens (per-request reports)', check.outputTokens],
    ['prompt tokens (per-request reports)', check.promptTokens],
    ['prompt tokens (engine counters)', check.counters?.promptTokens ?? null],
    ['generated tokens (engine counters)', check.counters?.generatedTokens ?? null],
  ];
  for (const [label, c] of counts) {
    if (c) rows.push([label, '', String(c.client), String(c.engine), String(c.delta), formatPercent(c.deltaPercent)]);
  }
  // the engine's prompt figures are computed + cached; say how much prefill the cache skipped
  if (check.cachedPromptTokens !== null) {
    rows.push(['prompt tokens from the engine cache', '', '', String(check.cachedPromptTokens), '', '']);
  }
  return rows;
}

function gpuSection(gpu: GpuSummary, metrics: RunMetrics): string {
  const num = (value: number | null, digits = 0) => (value === null ? '–' : value.toFixed(digits));
  const head =
    `mean power ${num(gpu.powerMeanW, 1)} W, energy ${num(gpu.energyJ, 1)} J over ${gpu.windowS.toFixed(2)} s, ` +
    `${num(gpu.joulesPerOutputToken, 3)} J per output token at ${formatRate(metrics.throughput.outputTokensPerS)} output tokens/s`;
  const rows = gpu.gpus.map((g) => [
    String(g.index),
    String(g.samples),
    num(g.utilizationMeanPercent, 1),
    num(g.memoryUsedMaxMiB),
    num(g.smClockMeanMHz),
    num(g.powerMeanW, 1),
    num(g.powerMaxW, 1),
    num(g.energyJ, 1),
  ]);
  return `## GPU\n\n${head}.\n\n${markdownTable(
    [
      'gpu',
      'samples',
      'util % (mean)',
      'memory MiB (max)',
      'SM MHz (mean)',
      'power W (mean)',
      'power W (max)',
      'energy J',
    ],
    rows,
  )}`;
}

/** summary.md: facts, warnings, headline figures, latency table and the client-vs-engine check. */
export function renderSummaryMarkdown(metrics: RunMetrics, context: SummaryContext): string {
  const parts = [`# ${context.title}`];
  const facts = Object.entries(context.facts ?? {});
  if (facts.length > 0) parts.push(facts.map(([k, v]) => `- **${k}**: ${v}`).join('\n'));
  if (context.warnings && context.warnings.length > 0) {
    parts.push(`## Warnings\n\n${context.warnings.map((w) => `- ⚠ ${w}`).join('\n')}`);
  }
  parts.push(`## Results\n\n${markdownTable(['figure', 'value'], headlineRows(metrics), 2)}`);
  parts.push(
    `## Latency (ms)\n\nPercentiles are nearest-rank from HDR histograms (3 significant digits). ` +
      `Only measure-phase requests that succeeded are included.\n\n` +
      markdownTable(['metric', ...STAT_HEADERS], latencyRows(metrics)),
  );
  if (context.stages && context.stages.stages.length > 1) parts.push(stageSection(context.stages));
  if (context.gpu) parts.push(gpuSection(context.gpu, metrics));
  if (context.crossCheck && context.crossCheck.requestsWithReport + (context.crossCheck.counters ? 1 : 0) > 0) {
    parts.push(
      `## Client vs engine\n\nDelta = client − engine.\n\n` +
        markdownTable(
          ['quantity', 'pairs', 'client', 'engine', 'delta', 'delta %'],
          crossCheckRows(context.crossCheck),
        ),
    );
  }
  parts.push('Definitions of every figure: docs/metrics.md. Raw per-request timings: requests.jsonl.');
  return `${parts.join('\n\n')}\n`;
}
