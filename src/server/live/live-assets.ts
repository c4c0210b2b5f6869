import type { Hono } from 'hono';
import { loadChartLibrary } from '../../export/report/uplot-assets.js';
import type { ServerEnv } from '../auth/auth-gate.js';
import { LIVE_RUN_SCRIPT } from './live-run-script.js';

/** Library code only, no data: served to anyone, cached for an hour. */
const CACHE = 'public, max-age=3600';

/**
 * The files the live page loads from this server, never a CDN: uPlot (the same installed copy the
 * reports inline) and the page's own script.
 */
export function addLiveAssets(app: Hono<ServerEnv>): void {
  app.get('/assets/uplot.min.js', (c) => {
    c.header('cache-control', CACHE);
    return c.body(loadChartLibrary().js, 200, { 'content-type': 'text/javascript; charset=utf-8' });
  });
  app.get('/assets/uplot.min.css', (c) => {
    c.header('cache-control', CACHE);
    return c.body(loadChartLibrary().css, 200, { 'content-type': 'text/css; charset=utf-8' });
  });
  app.get('/assets/live-run.js', (c) => {
    c.header('cache-control', CACHE);
    return c.body(LIVE_RUN_SCRIPT, 200, { 'content-type': 'text/javascript; charset=utf-8' });
  });
}
