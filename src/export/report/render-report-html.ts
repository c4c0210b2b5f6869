import type { ReportModel } from './build-report.js';
import { CHART_RENDERER_JS } from './chart-renderer-script.js';
import type { ChartLibrary } from './uplot-assets.js';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** JSON safe inside a <script> element: no `<` can end it early. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/** Inline code must not contain `</script`; the HTML parser would end the element there. */
const scriptText = (code: string) => code.replace(/<\/script/gi, '<\\/script');

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 1400px; padding: 16px 24px; color: #222; }
h1 { font-size: 20px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px; }
figure { margin: 0; } figcaption { color: #555; font-size: 12px; margin-bottom: 4px; }
figure h3 { font-size: 14px; margin: 0 0 2px; }
table { border-collapse: collapse; font-size: 13px; } td { padding: 2px 12px 2px 0; vertical-align: top; }
td:first-child { color: #555; white-space: nowrap; } .warn { color: #a15c00; }
.tables { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 16px; }
`;

function table(title: string, rows: ReadonlyArray<readonly [string, string]>): string {
  const body = rows.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`).join('');
  return `<section><h2>${escapeHtml(title)}</h2><table>${body}</table></section>`;
}

/**
 * The report as one HTML document: the chart library's code and stylesheet inlined, the charts as
 * JSON, the renderer that draws them. It fetches nothing, so it opens from disk, offline.
 */
export function renderReportHtml(model: ReportModel, library: ChartLibrary): string {
  const specs = model.sections.flatMap((section) => section.charts);
  const sections = model.sections
    .map(
      (section) =>
        `<h2>${escapeHtml(section.title)}</h2><div class="charts">${section.charts
          .map(
            (chart) =>
              `<figure><h3>${escapeHtml(chart.title)}</h3><figcaption>${escapeHtml(chart.note)}</figcaption><div id="${escapeHtml(chart.id)}" class="chart"></div></figure>`,
          )
          .join('')}</div>`,
    )
    .join('\n');
  const warnings = model.warnings.length
    ? `<ul>${model.warnings.map((w) => `<li class="warn">${escapeHtml(w)}</li>`).join('')}</ul>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="kitt (charts: ${library.name} ${escapeHtml(library.version)})">
<title>${escapeHtml(model.title)}</title>
<style>${library.css}</style>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(model.title)}</h1>
${model.headline.rows.length ? table('Headline', model.headline.rows) : ''}
${warnings}
${sections}
<div class="tables">${model.tables.map((t) => table(t.title, t.rows)).join('\n')}</div>
<script type="application/json" id="kitt-report-data">${scriptJson(specs)}</script>
<script>${scriptText(library.js)}</script>
<script>${scriptText(CHART_RENDERER_JS)}</script>
<script>kittRenderCharts(JSON.parse(document.getElementById('kitt-report-data').textContent));</script>
</body>
</html>
`;
}
