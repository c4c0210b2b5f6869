import { createHash } from 'node:crypto';
import type { Hono } from 'hono';
import { CHART_RENDERER_JS } from '../../export/report/chart-renderer-script.js';
import { loadChartLibrary } from '../../export/report/uplot-assets.js';
import type { ServerEnv } from '../auth/auth-gate.js';
import { LIVE_CSS } from '../live/live-pages.js';
import { LIVE_RUN_SCRIPT } from '../live/live-run-script.js';
import { DASHBOARD_CSS } from './page-layout.js';

/**
 * Draws every chart list a page holds as `<script type="application/json" class="kitt-charts">`
 * with the report's renderer: the specs are data, so the page needs no inline script and its
 * policy can keep scripts to 'self'.
 */
const BOOT_JS = `
(function () {
  document.querySelectorAll('script.kitt-charts').forEach(function (element) {
    kittRenderCharts(JSON.parse(element.textContent));
  });
})();
`;

interface Asset {
  readonly body: string;
  readonly contentType: string;
  readonly etag: string;
}

/** An hour in caches; after it a browser asks again and gets a 304 while the ETag holds. */
const CACHE_CONTROL = 'public, max-age=3600';

const asset = (body: string, contentType: string): Asset => ({
  body,
  contentType,
  etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
});

/** The dashboard's static files by URL: uPlot as installed, the report's renderer, the live page's script and the stylesheets. */
function dashboardAssets(): ReadonlyMap<string, Asset> {
  const library = loadChartLibrary();
  return new Map([
    ['/assets/uplot.js', asset(library.js, 'text/javascript; charset=utf-8')],
    ['/assets/uplot.css', asset(library.css, 'text/css; charset=utf-8')],
    ['/assets/charts.js', asset(`${CHART_RENDERER_JS}${BOOT_JS}`, 'text/javascript; charset=utf-8')],
    ['/assets/dashboard.css', asset(DASHBOARD_CSS, 'text/css; charset=utf-8')],
    ['/assets/live-run.js', asset(LIVE_RUN_SCRIPT, 'text/javascript; charset=utf-8')],
    ['/assets/live.css', asset(LIVE_CSS, 'text/css; charset=utf-8')],
  ]);
}

/**
 * Serves the assets from memory, to anyone (they are public code and style, no data), cacheable
 * with an ETag. Nothing is read from disk per request, so no URL maps to a file.
 */
export function addStaticAssets(app: Hono<ServerEnv>): void {
  const assets = dashboardAssets();
  for (const [path, { body, contentType, etag }] of assets) {
    app.get(path, (c) => {
      c.header('cache-control', CACHE_CONTROL);
      c.header('etag', etag);
      if (c.req.header('if-none-match') === etag) return c.body(null, 304);
      c.header('content-type', contentType);
      return c.body(body);
    });
  }
}
