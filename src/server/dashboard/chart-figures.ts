import { html, raw } from 'hono/html';
import type { ChartSection } from '../../export/report/chart-spec.js';
import type { Html } from './page-layout.js';

/** JSON safe inside a <script> element: no `<` can end it early. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/**
 * Chart sections as report.html lays them out: a heading per section, a figure per chart with the
 * spec's title and note, the specs as one JSON data block, and the two scripts (uPlot, then the
 * report's renderer) from /assets that draw them. Call it once per page: the scripts draw every
 * block on the page.
 */
export function renderChartSections(sections: readonly ChartSection[]): Html {
  const specs = sections.flatMap((section) => section.charts);
  if (specs.length === 0) return html``;
  return html`${sections.map(
    (section) =>
      html`<h2>${section.title}</h2><div class="charts">${section.charts.map(
        (chart) =>
          html`<figure><h3>${chart.title}</h3><figcaption>${chart.note}</figcaption><div id="${chart.id}" class="chart"></div></figure>`,
      )}</div>`,
  )}
<script type="application/json" class="kitt-charts">${raw(scriptJson(specs))}</script>
<script src="/assets/uplot.js"></script><script src="/assets/charts.js"></script>`;
}
