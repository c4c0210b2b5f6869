import type { CampaignCell } from './plan-campaign.js';

/** What the report knows of one cell: its place in the matrix, its state and its run's figures. */
export interface ReportCell {
  readonly cellId: string;
  readonly position: number;
  readonly labels: CampaignCell['labels'];
  readonly repeat: number;
  readonly state: string;
  readonly runId?: string | undefined;
  /** The cell's report.html, relative to campaign.html. */
  readonly reportHref?: string | undefined;
  readonly figures: CellFigures;
  /** Why a succeeded cell has no figure where the tables show "–" (a cluster run joins no throughput). */
  readonly figuresNote?: string | undefined;
  /** Per SLO: whether the run met its percentile terms (null: the SLO has none, or nothing was measured). */
  readonly sloMet: readonly (boolean | null)[];
  /** Against the campaign's first cell, from the compare use case. */
  readonly versusFirst?: { readonly ttft?: string | undefined; readonly throughputChange?: number | null } | undefined;
}

export interface CellFigures {
  /** Output tokens per second. */
  readonly throughput: number | null;
  readonly ttftP50: number | null;
  readonly ttftP99: number | null;
  readonly tpotP50: number | null;
  /** Good requests per second under each SLO, in the campaign's order. */
  readonly goodput: readonly (number | null)[];
}

/** A figure the report tables over the matrix, and which way is better. */
export interface MatrixMetric {
  readonly title: string;
  readonly unit: string;
  readonly better: 'higher' | 'lower';
  readonly pick: (figures: CellFigures) => number | null;
}

/** Throughput, TTFT p50/p99, TPOT p50, then goodput under each SLO. */
export function matrixMetrics(slos: readonly string[]): MatrixMetric[] {
  return [
    { title: 'throughput', unit: 'output tokens/s', better: 'higher', pick: (f) => f.throughput },
    { title: 'TTFT p50', unit: 'ms', better: 'lower', pick: (f) => f.ttftP50 },
    { title: 'TTFT p99', unit: 'ms', better: 'lower', pick: (f) => f.ttftP99 },
    { title: 'TPOT p50', unit: 'ms', better: 'lower', pick: (f) => f.tpotP50 },
    ...slos.map(
      (slo, index): MatrixMetric => ({
        title: `goodput under ${slo}`,
        unit: 'good requests/s',
        better: 'higher',
        pick: (f) => f.goodput[index] ?? null,
      }),
    ),
  ];
}

/** One row of the matrix: a model, engine and limits profile. */
export const rowLabel = (labels: CampaignCell['labels']) => `${labels.engine} · ${labels.limits} · ${labels.model}`;

/** The matrix: configurations down, loads across, the cells (every repeat) of each entry. */
export interface Matrix {
  readonly rows: readonly string[];
  readonly columns: readonly string[];
  cellsAt(row: string, column: string): readonly ReportCell[];
}

export function buildMatrix(cells: readonly ReportCell[]): Matrix {
  const ordered = [...cells].sort((a, b) => a.position - b.position);
  const rows = [...new Set(ordered.map((cell) => rowLabel(cell.labels)))];
  const columns = [...new Set(ordered.map((cell) => cell.labels.load))];
  const at = new Map<string, ReportCell[]>();
  for (const cell of ordered) {
    const key = `${rowLabel(cell.labels)}\u0000${cell.labels.load}`;
    at.set(key, [...(at.get(key) ?? []), cell]);
  }
  return { rows, columns, cellsAt: (row, column) => at.get(`${row}\u0000${column}`) ?? [] };
}

/** The mean of a figure over an entry's repeats that have it; null when none has. */
export function entryValue(cells: readonly ReportCell[], metric: MatrixMetric): number | null {
  const values = cells
    .filter((cell) => cell.state === 'succeeded')
    .map((cell) => metric.pick(cell.figures))
    .filter((value): value is number => value !== null && Number.isFinite(value));
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

/** The best entry under one SLO: most goodput among those whose repeats all met its percentile terms. */
export interface BestUnderSlo {
  readonly slo: string;
  readonly row?: string | undefined;
  readonly column?: string | undefined;
  readonly goodput?: number | undefined;
}

export function bestPerSlo(matrix: Matrix, slos: readonly string[]): BestUnderSlo[] {
  return slos.map((slo, index) => {
    const metric = matrixMetrics(slos)[4 + index]!;
    let best: BestUnderSlo = { slo };
    for (const row of matrix.rows) {
      for (const column of matrix.columns) {
        const cells = matrix.cellsAt(row, column);
        if (cells.some((cell) => cell.sloMet[index] === false)) continue;
        const goodput = entryValue(cells, metric);
        if (goodput !== null && goodput > (best.goodput ?? -1)) best = { slo, row, column, goodput };
      }
    }
    return best;
  });
}
