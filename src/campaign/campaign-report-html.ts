import {
  bestPerSlo,
  buildMatrix,
  entryValue,
  type Matrix,
  type MatrixMetric,
  matrixMetrics,
  type ReportCell,
  rowLabel,
} from './campaign-matrix.js';

/** What campaign.html shows: the campaign, its SLOs, every cell, and where the comparison is. */
export interface CampaignReportModel {
  readonly id: string;
  readonly name: string;
  readonly slos: readonly string[];
  readonly cells: readonly ReportCell[];
  /** compare.html beside campaign.html: every succeeded cell against the first. */
  readonly compareHref?: string | undefined;
  readonly generatedAt: string;
}

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const formatValue = (value: number | null) =>
  value === null ? '–' : Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3);

/**
 * The heat map's color for a value: green for the best of the table, red for the worst, on the
 * hue from 0° to 120° in proportion to where the value lies between them (lower is better for latencies).
 * A table whose values are all equal (one cell, say) has no best or worst, so it is not colored:
 * a lone latency painted red read as "worst" of nothing.
 */
function heat(value: number | null, low: number, high: number, better: MatrixMetric['better']): string {
  if (value === null || high === low) return '';
  const share = (value - low) / (high - low);
  const goodness = better === 'higher' ? share : 1 - share;
  return ` style="background:hsl(${(goodness * 120).toFixed(0)},65%,80%)"`;
}

function metricTable(matrix: Matrix, metric: MatrixMetric): string {
  const values = matrix.rows.flatMap((row) =>
    matrix.columns.map((column) => entryValue(matrix.cellsAt(row, column), metric)),
  );
  const known = values.filter((value): value is number => value !== null);
  const low = Math.min(...known);
  const high = Math.max(...known);
  const head = matrix.columns.map((column) => `<th>${escapeHtml(column)}</th>`).join('');
  const body = matrix.rows
    .map((row) => {
      const entries = matrix.columns.map((column) => {
        const cells = matrix.cellsAt(row, column);
        const value = entryValue(cells, metric);
        const states = cells.filter((cell) => cell.state !== 'succeeded').map((cell) => cell.state);
        const note = states.length > 0 ? ` <small>(${escapeHtml(states.join(', '))})</small>` : '';
        return `<td class="num"${heat(value, low, high, metric.better)}>${formatValue(value)}${note}</td>`;
      });
      return `<tr><th>${escapeHtml(row)}</th>${entries.join('')}</tr>`;
    })
    .join('\n');
  return `<section class="metric"><h2>${escapeHtml(metric.title)} <small>(${escapeHtml(metric.unit)}, ${metric.better} is better)</small></h2>
<table><thead><tr><th>engine · limits · model</th>${head}</tr></thead>
<tbody>
${body}
</tbody></table>${missingNote(matrix, metric)}</section>`;
}

/** Why a succeeded cell shows "–" in this table, once per reason, under it. */
function missingNote(matrix: Matrix, metric: MatrixMetric): string {
  const notes = new Set<string>();
  for (const row of matrix.rows) {
    for (const column of matrix.columns) {
      const cells = matrix.cellsAt(row, column);
      if (entryValue(cells, metric) !== null) continue;
      for (const cell of cells) if (cell.state === 'succeeded' && cell.figuresNote) notes.add(cell.figuresNote);
    }
  }
  return [...notes].map((note) => `<p class="note">– ${escapeHtml(note)}</p>`).join('');
}

function bestSection(model: CampaignReportModel, matrix: Matrix): string {
  if (model.slos.length === 0) {
    return '<section><h2>best configuration per SLO</h2><p>The campaign names no SLO (matrix.slos).</p></section>';
  }
  const rows = bestPerSlo(matrix, model.slos).map((best) =>
    best.row === undefined
      ? `<tr><td>${escapeHtml(best.slo)}</td><td colspan="3">no configuration met it</td></tr>`
      : `<tr><td>${escapeHtml(best.slo)}</td><td>${escapeHtml(best.row)}</td><td>${escapeHtml(best.column!)}</td><td class="num">${formatValue(best.goodput ?? null)}</td></tr>`,
  );
  return `<section id="best"><h2>best configuration per SLO</h2>
<table><thead><tr><th>SLO</th><th>engine · limits · model</th><th>load</th><th>goodput (good requests/s)</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></section>`;
}

function cellsSection(model: CampaignReportModel): string {
  const rows = [...model.cells]
    .sort((a, b) => a.position - b.position)
    .map((cell) => {
      const report = cell.reportHref ? `<a href="${escapeHtml(cell.reportHref)}">report</a>` : '–';
      const versus = cell.versusFirst
        ? `${escapeHtml(cell.versusFirst.ttft ?? '–')}${cell.versusFirst.throughputChange != null ? `, throughput ${(cell.versusFirst.throughputChange * 100).toFixed(1)} %` : ''}`
        : '–';
      return `<tr><td><code>${escapeHtml(cell.cellId)}</code></td><td>${escapeHtml(rowLabel(cell.labels))}</td><td>${escapeHtml(cell.labels.load)}</td><td>${cell.repeat}</td><td>${escapeHtml(cell.state)}</td><td><code>${escapeHtml(cell.runId ?? '–')}</code></td><td>${report}</td><td>${versus}</td></tr>`;
    });
  const compare = model.compareHref
    ? `<p>Every succeeded cell against the first: <a href="${escapeHtml(model.compareHref)}">comparison</a> (kitt compare).</p>`
    : '';
  return `<section id="cells"><h2>cells</h2>${compare}
<table><thead><tr><th>cell</th><th>engine · limits · model</th><th>load</th><th>repeat</th><th>state</th><th>run</th><th>report</th><th>TTFT vs first cell</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></section>`;
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}
h2 small{font-weight:normal;color:#666}p.note{margin:-1em 0 1.5em;color:#666;font-size:90%}`;

/**
 * campaign.html: one table per metric over the matrix (engine · limits · model down, loads
 * across, the mean over repeats), colored as a heat map; the best configuration per SLO; every cell
 * with its state, run and a link to its report.html. Pure: the model in, the page out, no script.
 */
export function renderCampaignHtml(model: CampaignReportModel): string {
  const matrix = buildMatrix(model.cells);
  const tables = matrixMetrics(model.slos).map((metric) => metricTable(matrix, metric));
  const counts = new Map<string, number>();
  for (const cell of model.cells) counts.set(cell.state, (counts.get(cell.state) ?? 0) + 1);
  const summary = [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>campaign ${escapeHtml(model.name)}</title><style>${STYLE}</style></head>
<body>
<h1>campaign ${escapeHtml(model.name)}</h1>
<p><code>${escapeHtml(model.id)}</code>: ${model.cells.length} cells (${escapeHtml(summary)}); written ${escapeHtml(model.generatedAt)}.</p>
${bestSection(model, matrix)}
${tables.join('\n')}
${cellsSection(model)}
</body></html>
`;
}
