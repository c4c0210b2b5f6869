import { agentsCharts, agentsHeadlineRows, cpuBandThresholds } from './agents-charts.js';
import type { ChartSection, ChartSpec } from './chart-spec.js';
import { crossCheckChart } from './cross-check-chart.js';
import { distributionCharts } from './distribution-charts.js';
import type { ReportData } from './report-data.js';
import { calibrationChart, gpuPowerChart, resourceCharts } from './resource-charts.js';
import { sweepCharts } from './sweep-charts.js';
import { latencyOverTime, throughputOverTime } from './timeline-charts.js';

/** A two-column table of facts (headline figures, configuration, hardware). */
export interface FactTable {
  readonly title: string;
  readonly rows: ReadonlyArray<readonly [string, string]>;
}

/** Everything the page shows, as data: the HTML assembler only lays it out. */
export interface ReportModel {
  readonly title: string;
  readonly headline: FactTable;
  readonly sections: readonly ChartSection[];
  readonly tables: readonly FactTable[];
  readonly warnings: readonly string[];
}

const present = (...charts: Array<ChartSpec | null>) => charts.filter((c): c is ChartSpec => c !== null);

/** Turns a result directory's parsed files into the report's charts and tables (pure). */
export function buildReport(data: ReportData): ReportModel {
  const slo = data.metrics?.slo;
  const { requests } = data;
  const sections: ChartSection[] = [
    { title: 'Agents', charts: data.agents ? agentsCharts(data.agents) : [] },
    // a sweep's curves first: where the engine bends is what a sweep is run to see
    { title: 'Per level', charts: sweepCharts(requests.stages, slo) },
    {
      title: 'Over time',
      charts: present(latencyOverTime(requests.latency, slo), throughputOverTime(requests.throughput)),
    },
    { title: 'Latency distributions', charts: distributionCharts(requests.samples, slo) },
    {
      title: 'Resources',
      charts: [
        ...resourceCharts(data.stats, cpuBandThresholds(data.agents?.document ?? null)),
        ...present(gpuPowerChart(data.gpu)),
      ],
    },
    { title: 'Client vs engine', charts: present(crossCheckChart(requests.crossCheck)) },
    { title: 'Calibration', charts: present(calibrationChart(data.calibration)) },
  ].filter((section) => section.charts.length > 0);
  return {
    title: data.title,
    headline: headlineTable(data),
    sections,
    tables: [
      crossCheckTable(data),
      flatTable('Calibration', data.calibration ? { ...data.calibration, windows: undefined } : null),
      flatTable('Configuration', data.run),
      flatTable('Hardware', data.hardware),
    ].filter((table) => table.rows.length > 0),
    warnings: ((data.document?.warnings as string[] | undefined) ?? []).map(String),
  };
}

const fixed = (value: number | null | undefined, digits = 1) =>
  value === null || value === undefined ? '–' : value.toFixed(digits);

function headlineTable(data: ReportData): FactTable {
  if (data.agents) return { title: 'Headline', rows: agentsHeadlineRows(data.agents.document) };
  const m = data.metrics;
  if (!m) return { title: 'Headline', rows: [] };
  const rows: Array<[string, string]> = [
    [
      'requests',
      `${m.requests.succeeded} succeeded, ${m.requests.failed} failed, ${m.requests.dropped} dropped of ${m.requests.total}`,
    ],
    ['window', `${fixed(m.window.durationS, 2)} s`],
    ['requests/s', fixed(m.throughput.requestsPerS, 2)],
    ['output tokens/s', fixed(m.throughput.outputTokensPerS)],
    ['TTFT p50 / p99', `${fixed(m.ttftMs.p50)} / ${fixed(m.ttftMs.p99)} ms`],
    ['ITL p50 / p99', `${fixed(m.itlMs.p50, 2)} / ${fixed(m.itlMs.p99, 2)} ms`],
    ['E2E p50 / p99', `${fixed(m.e2eMs.p50)} / ${fixed(m.e2eMs.p99)} ms`],
    ['mean in flight', fixed(m.concurrency.meanInFlight, 2)],
  ];
  if (m.slo) {
    rows.push([
      'SLO attainment',
      `${fixed(m.slo.attainmentPercent)} % (goodput ${fixed(m.slo.goodputRequestsPerS, 2)} req/s)`,
    ]);
    for (const term of m.slo.percentiles) {
      rows.push([
        `SLO ${term.term}`,
        `${fixed(term.measuredMs)} ms: ${term.met === null ? 'not measured' : term.met ? 'met' : 'missed'}`,
      ]);
    }
  }
  return { title: 'Headline', rows };
}

function crossCheckTable(data: ReportData): FactTable {
  const c = data.crossCheck;
  if (!c || c.requestsWithReport === 0) return { title: 'Client vs engine', rows: [] };
  const paired = (name: string, p: typeof c.ttftMs): [string, string] => [
    name,
    `client ${fixed(p.clientMean, 2)} ms, engine ${fixed(p.engineMean, 2)} ms, Δ ${fixed(p.deltaMean, 2)} ms (${fixed(p.deltaPercent)} %) over ${p.pairs}`,
  ];
  const count = (
    name: string,
    v: { client: number; engine: number; delta: number } | null | undefined,
  ): Array<[string, string]> => (v ? [[name, `client ${v.client}, engine ${v.engine}, Δ ${v.delta}`]] : []);
  return {
    title: 'Client vs engine',
    rows: [
      ['requests with an engine report', String(c.requestsWithReport)],
      paired('TTFT mean', c.ttftMs),
      paired('TPOT mean', c.tpotMs),
      ...count('output tokens', c.outputTokens),
      ...count('prompt tokens', c.promptTokens),
      ...count('generated tokens (engine counters)', c.counters?.generatedTokens),
    ],
  };
}

/** A nested JSON document as dotted-key rows (`engine.limits.cpus`), arrays joined, long ones cut. */
export function flatTable(title: string, value: Record<string, unknown> | null): FactTable {
  const rows: Array<[string, string]> = [];
  const walk = (prefix: string, v: unknown) => {
    if (v === null || v === undefined) return;
    if (typeof v === 'object' && !Array.isArray(v)) {
      for (const [key, inner] of Object.entries(v)) walk(prefix ? `${prefix}.${key}` : key, inner);
      return;
    }
    const text = Array.isArray(v)
      ? v.map((item) => (typeof item === 'object' ? JSON.stringify(item) : String(item))).join(', ')
      : String(v);
    rows.push([prefix, text.length > 200 ? `${text.slice(0, 200)}…` : text]);
  };
  walk('', value);
  return { title, rows };
}
