import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { DEFAULT_CONFIG } from '../config/config-schema.js';
import { writeReport } from '../export/report/write-report.js';
import { defaultStorePath, openStore } from '../store/open-store.js';
import { openOfflinePage, requireBrowser } from '../testing/offline-browser.js';
import { recordExactScheduleRun } from '../testing/record-exact-run.js';
import { SIMULATED_POLICY, simulateCalibration } from '../testing/simulate-calibration.js';
import { createApiToken } from './auth/api-tokens.js';
import { serveKitt } from './serve-kitt.js';

const DOCS = resolve(import.meta.dirname, '..', '..', 'docs');

/** What the browser reports of each drawn chart: the renderer's record and the pixels of its canvas. */
interface DrawnChart {
  readonly id: string;
  readonly points: number;
  readonly series: ReadonlyArray<{ label: string; points: number }>;
  /** Canvas pixels painted at all, and in the first series' colour (#1f77b4). */
  readonly painted: number;
  readonly firstSeries: number;
}

/** Runs in the page (kitt compiles without the DOM's types, hence the casts). */
const readDrawnCharts = () => {
  // biome-ignore lint/suspicious/noExplicitAny: the page's globals, read as a test reads them
  const page = globalThis as any;
  const drawn = (page.kittCharts ?? []) as Array<Omit<DrawnChart, 'painted' | 'firstSeries'>>;
  return drawn.map((chart) => {
    const canvas = page.document.querySelector(`[id="${chart.id}"] canvas`);
    let painted = 0;
    let firstSeries = 0;
    if (canvas) {
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data as Uint8ClampedArray;
      for (let i = 0; i < pixels.length; i += 4) {
        if (pixels[i + 3]! === 0) continue;
        painted++;
        // no named inner function: the test's compiler would wrap it in a helper the page lacks
        const off = Math.abs(pixels[i]! - 31) + Math.abs(pixels[i + 1]! - 119) + Math.abs(pixels[i + 2]! - 180);
        if (off < 60) firstSeries++;
      }
    }
    return { ...chart, painted, firstSeries };
  });
};

const sidewaysOverflow = () => {
  // biome-ignore lint/suspicious/noExplicitAny: the page's globals
  const page = globalThis as any;
  return page.document.scrollingElement.scrollWidth - page.innerWidth;
};

const POLICY = SIMULATED_POLICY;

/** A calibration report as kitt calibrate stores it: the controller's windows, replayed on a simulated engine. */
function calibrationReport(capacity: number, seed: number) {
  const { history, rate, reason } = simulateCalibration(capacity, 0.05, seed, POLICY);
  return {
    rateKey: 'llamacpp/1cpu-2GiB',
    outcome: rate === undefined ? 'failed' : 'calibrated',
    rate,
    reason,
    windows: history.map((w, index) => ({
      index,
      kind: w.kind,
      rate: w.rate,
      verdict: 'ok',
      measurement: w.measurement,
    })),
  };
}

async function waitForCharts(page: Page): Promise<DrawnChart[]> {
  const expected = await page.locator('.chart').count();
  await page.waitForFunction(
    (n) => ((globalThis as { kittCharts?: unknown[] }).kittCharts ?? []).length >= n,
    expected,
  );
  return page.evaluate(readDrawnCharts);
}

function assertDrawn(charts: readonly DrawnChart[], id: string): DrawnChart {
  const chart = charts.find((c) => c.id === id);
  assert.ok(chart, `chart ${id} drawn (drawn: ${charts.map((c) => c.id).join(', ')})`);
  assert.ok(chart.points > 0 && chart.series.some((s) => s.points > 0), `${id} has points: ${JSON.stringify(chart)}`);
  assert.ok(chart.painted > 1000, `${id}'s canvas is painted (${chart.painted} pixels)`);
  assert.ok(chart.firstSeries > 20, `${id}'s first series is drawn (${chart.firstSeries} pixels of its colour)`);
  return chart;
}

test('the dashboard draws a run’s report charts, compares two runs with verdicts, charts calibrations, narrow and offline', async (t) => {
  const playwright = requireBrowser(t);
  if (!playwright) return;
  const home = mkdtempSync(join(tmpdir(), 'kitt-dashboard-charts-'));
  t.after(() => (process.env.KEEPHOME ? console.log('HOME', home) : rmSync(home, { recursive: true, force: true })));
  const baseline = await recordExactScheduleRun(home, 10);
  const candidate = await recordExactScheduleRun(home, 30);
  const reportPath = await writeReport(join(home, 'results', baseline));
  const other = await recordExactScheduleRun(home, 10, 'other.gguf');
  const token = await (async () => {
    await using store = await openStore(defaultStorePath(home));
    // a run whose folder has lost its request log: its tables stay, a note stands for the charts
    const stored = (await store.getRun(baseline))!;
    const bare = join(home, 'results', 'bare');
    mkdirSync(bare, { recursive: true });
    cpSync(join(stored.resultPath!, 'metrics.json'), join(bare, 'metrics.json'));
    await store.recordRunStarted({ id: 'bare', engine: 'exact', mode: 'host', model: 'exact.gguf', resultPath: bare });
    await store.recordRunFinished('bare', { status: 'succeeded', metrics: stored.metrics, resultPath: bare });
    for (const [day, capacity] of [
      [1, 3],
      [8, 3.4],
      [15, 3.2],
    ] as const) {
      const report = calibrationReport(capacity, day);
      await store.recordCalibration({
        engine: 'llamacpp',
        limitsKey: '1cpu-2GiB',
        rateValue: report.rate!,
        unit: 'req/s',
        report,
        createdAt: new Date(Date.UTC(2026, 0, day)),
      });
    }
    await store.recordCalibration({
      engine: 'vllm',
      limitsKey: '2cpu-4GiB',
      rateValue: 7,
      unit: 'req/s',
      createdAt: new Date(Date.UTC(2026, 0, 10)),
    });
    return (await createApiToken(store, { name: 'alice', scope: 'read' })).token;
  })();
  await using server = await serveKitt({
    config: DEFAULT_CONFIG,
    home,
    host: '127.0.0.1',
    port: 0,
    version: 't',
    log: () => {},
  });

  // the assets: served from memory with their types, cacheable, the same bytes on a revalidation
  for (const [path, type] of [
    ['/assets/uplot.js', 'text/javascript'],
    ['/assets/uplot.css', 'text/css'],
    ['/assets/charts.js', 'text/javascript'],
    ['/assets/dashboard.css', 'text/css'],
  ] as const) {
    const response = await fetch(`${server.url}${path}`);
    assert.equal(response.status, 200, path);
    assert.match(response.headers.get('content-type') ?? '', new RegExp(`^${type}; charset=utf-8`), path);
    assert.match(response.headers.get('cache-control') ?? '', /max-age=\d+/, path);
    assert.ok((await response.text()).length > 100, path);
    const again = await fetch(`${server.url}${path}`, { headers: { 'if-none-match': response.headers.get('etag')! } });
    assert.equal(again.status, 304, `${path} revalidates`);
  }

  const { page, blocked } = await openOfflinePage(t, playwright, {
    viewport: { width: 1280, height: 900 },
    allow: (url) => url.startsWith(server.url),
  });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    // the refused comparison answers 400 on purpose; anything else logged as an error counts
    if (message.type() === 'error' && !/status of 400/.test(message.text())) errors.push(message.text());
  });

  await page.goto(`${server.url}/runs`);
  await page.locator('input[name=token]').fill(token);
  await page.locator('button[type=submit]').click();
  await page.waitForURL(/\/runs$/);

  // the run page: the report's charts, drawn from the stored run and its requests.jsonl
  const response = await page.goto(`${server.url}/runs/${baseline}`);
  const policy = response?.headers()['content-security-policy'] ?? '';
  assert.match(policy, /script-src 'self'/);
  assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval/);
  const charts = await waitForCharts(page);
  const latency = assertDrawn(charts, 'latency-over-time');
  assert.equal(latency.points, 52, 'every sent request, warmup included');
  assertDrawn(charts, 'throughput-over-time');
  assertDrawn(charts, 'ttft-cdf');
  assert.ok(charts.length >= 4, `the report's charts: ${charts.map((c) => c.id).join(', ')}`);
  assert.equal(await page.locator('.chart-note').count(), 0);
  // the very charts kitt report draws of the same run
  const pageSpecs = JSON.parse((await page.locator('script.kitt-charts').textContent()) ?? '[]');
  const report = readFileSync(reportPath, 'utf8');
  const reportSpecs = JSON.parse(/id="kitt-report-data">(.*?)<\/script>/s.exec(report)![1]!);
  assert.deepEqual(pageSpecs, reportSpecs, 'the run page and report.html draw the same specs');
  assert.equal(
    await page.locator('a:text("report.html")').getAttribute('href'),
    `/api/v1/runs/${baseline}/artifacts/report.html`,
  );
  const wideShot = await page.screenshot({ fullPage: true });

  // no request log: the tables, and one line instead of the request charts
  await page.goto(`${server.url}/runs/bare`);
  assert.match((await page.locator('.chart-note').textContent()) ?? '', /no requests\.jsonl/);
  assert.equal(await page.locator('canvas').count(), 0);
  assert.match((await page.locator('main').textContent()) ?? '', /TTFT \(send → first token\)/);

  // compare from the runs page: tick two, the top one (newest) is the baseline
  await page.goto(`${server.url}/runs`);
  await page.locator(`input[type=checkbox][value="${candidate}"]`).check();
  await page.locator(`input[type=checkbox][value="${baseline}"]`).check();
  await page.locator('button:text("Compare selected")').click();
  await page.waitForURL(/\/compare\?runs=/);
  const itlRow = () => page.locator('section.comparison tbody tr', { hasText: 'ITL p50' }).first().textContent();
  assert.match(
    (await page.locator('ol.sides li').first().textContent()) ?? '',
    new RegExp(`baseline run ${candidate}`),
  );
  assert.match((await itlRow()) ?? '', /better\s*−\d+\.\d %\s*p < 0\.001/, 'ITL 10 ms against 30 ms is better');
  await page.locator('a:text("make it the baseline")').click();
  await page.waitForURL(new RegExp(`runs=${baseline},${candidate}`));
  const itl = (await itlRow()) ?? '';
  assert.match(itl, /worse\s*\+\d+\.\d %\s*p < 0\.001/, `ITL 30 ms against 10 ms is worse: ${itl}`);
  assert.match(itl, /\d+(\.\d+)? ms/, 'latencies in ms');
  assert.match((await page.locator('main').textContent()) ?? '', /output tok\/s.*not tested/s);
  const compareShot = await page.screenshot({ fullPage: true });

  // different models: the reason, and the link that compares them anyway
  await page.goto(`${server.url}/compare?runs=${baseline},${other}`);
  assert.match((await page.locator('.refusal').textContent()) ?? '', /cannot be compared.*different models/);
  await page.locator('a.force').click();
  await page.waitForURL(/force=true/);
  assert.match((await page.locator('section.comparison').textContent()) ?? '', /compared anyway/);
  assert.equal((await page.locator('section.comparison .verdict').count()) > 0, true);

  // the pick form on the page itself
  await page.goto(`${server.url}/compare`);
  await page.locator('input[name=runs][type=text], input[name=runs]:not([type])').fill(`${baseline},${candidate}`);
  await page.locator('form.filters button[type=submit]').click();
  await page.waitForURL(/\/compare\?/);
  assert.match((await itlRow()) ?? '', /worse/);

  // calibrations: the rate over time, and one profile's latest windows
  await page.goto(`${server.url}/calibrations`);
  const history = assertDrawn(await waitForCharts(page), 'calibrated-rate-history');
  assert.deepEqual(
    history.series.map((s) => [s.label, s.points]),
    [
      ['llamacpp 1cpu-2GiB (req/s)', 3],
      ['vllm 2cpu-4GiB (req/s)', 1],
    ],
  );
  await page.goto(`${server.url}/calibrations?engine=llamacpp&limits=1cpu-2GiB`);
  const profile = await waitForCharts(page);
  assertDrawn(profile, 'calibrated-rate-history');
  assertDrawn(profile, 'calibration-windows');
  const calibrationShot = await page.screenshot({ fullPage: true });

  // a 390 px window: no page scrolls sideways, the charts fit or scroll inside their box
  await page.setViewportSize({ width: 390, height: 844 });
  const narrow: Record<string, Buffer> = {};
  for (const [name, path] of [
    ['run', `/runs/${baseline}`],
    ['runs', '/runs'],
    ['compare', `/compare?runs=${baseline},${candidate}`],
    ['calibrations', '/calibrations?engine=llamacpp&limits=1cpu-2GiB'],
  ] as const) {
    await page.evaluate(() => {
      (globalThis as { kittCharts?: unknown[] }).kittCharts = [];
    });
    await page.goto(`${server.url}${path}`);
    if ((await page.locator('.chart').count()) > 0) await waitForCharts(page);
    const overflow = await page.evaluate(sidewaysOverflow);
    assert.ok(overflow <= 0, `${path} is ${overflow}px wider than a 390px window`);
    narrow[name] = await page.screenshot({ fullPage: true });
  }

  assert.deepEqual(errors, [], 'no script error and no policy violation');
  assert.deepEqual(blocked, [], 'the dashboard loads nothing from elsewhere');
  // the README's picture is refreshed in docs/ only when asked, so a test run leaves a clone as it was
  writeFileSync(join(process.env.KITT_UPDATE_DOCS === '1' ? DOCS : home, 'server-run.png'), wideShot);
  writeFileSync(join(home, 'server-compare.png'), compareShot);
  writeFileSync(join(home, 'server-calibrations.png'), calibrationShot);
  for (const [name, shot] of Object.entries(narrow)) writeFileSync(join(home, `server-${name}-narrow.png`), shot);
});
