import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_CONFIG } from '../config/config-schema.js';
import { openStore } from '../store/open-store.js';
import { openOfflinePage, requireBrowser, sidewaysOverflow } from '../testing/offline-browser.js';
import { HOST_A, seedRuns } from '../testing/seed-runs.js';
import { createApiToken } from './auth/api-tokens.js';
import { serveKitt } from './serve-kitt.js';

test('a person signs in, filters the runs, opens one and its report, in a wide and a narrow window, offline', async (t) => {
  const playwright = requireBrowser(t);
  if (!playwright) return;
  const home = mkdtempSync(join(tmpdir(), 'kitt-dashboard-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const { seeded, token } = await (async () => {
    await using store = await openStore(join(home, 'kitt.db'));
    const runs = await seedRuns(store, join(home, 'results'));
    await store.recordCalibration({
      runId: runs[0]!.id,
      engine: 'llamacpp',
      limitsKey: '1cpu-2GiB',
      rateValue: 3.456,
      unit: 'req/s',
    });
    await store.recordCalibration({ engine: 'vllm', limitsKey: '2cpu-4GiB', rateValue: 7, unit: 'req/s' });
    return {
      seeded: runs,
      token: (await createApiToken(store, { name: 'alice', scope: 'read' })).token,
    };
  })();
  const server = await serveKitt({
    config: DEFAULT_CONFIG,
    home,
    host: '127.0.0.1',
    port: 0,
    version: 't',
    log: () => {},
  });
  t.after(() => server.close());

  const {
    context,
    page,
    blocked: elsewhere,
  } = await openOfflinePage(t, playwright, {
    viewport: { width: 1280, height: 900 },
    allow: (url) => url.startsWith(server.url),
  });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));

  await page.goto(`${server.url}/runs`);
  assert.match(page.url(), /\/sign-in$/, 'a token exists: the runs page asks to sign in');
  await page.locator('input[name=token]').fill('kitt_wrong');
  await page.locator('button[type=submit]').click();
  assert.match((await page.locator('.error').textContent()) ?? '', /not valid/);
  await page.locator('input[name=token]').fill(token);
  await page.locator('button[type=submit]').click();
  await page.waitForURL(/\/runs$/);
  const session = (await context.cookies()).find((cookie) => cookie.name === 'kitt_session');
  assert.deepEqual([session?.httpOnly, session?.sameSite], [true, 'Strict']);

  assert.equal(await page.locator('tbody tr').count(), 5);
  const firstRow = (await page.locator('tbody tr').first().textContent()) ?? '';
  assert.match(firstRow, /failed/);
  assert.match(firstRow, /engine llamacpp did not get ready within 60s/, 'a failed run says why');
  const text = (await page.locator('table').textContent()) ?? '';
  assert.match(text, /4\.50 req\/s/, 'rates carry their unit and suit their size');
  assert.match(text, /288 tok\/s/);
  assert.match(text, /12\.3 ms/, 'latencies rounded, in ms');
  assert.match(text, /2026-01-01 00:00:00 UTC/);
  assert.doesNotMatch(text, /12\.3456|288\.12|requestsPerS|ttftP50Ms/, 'no raw floats or field names');

  await page.locator('input[name=engine]').fill('vllm');
  await page.locator('form.filters button[type=submit]').click();
  await page.waitForURL(/engine=vllm/);
  assert.deepEqual(
    (await page.locator('tbody tr td:first-child').allTextContents()).map((id) => id.trim()),
    [seeded[3]!.id, seeded[2]!.id],
  );

  await page.locator(`a[href="/runs/${seeded[2]!.id}"]`).click();
  await page.waitForURL(new RegExp(`/runs/${seeded[2]!.id}$`));
  const runPage = (await page.locator('main').textContent()) ?? '';
  assert.match(runPage, new RegExp(`Run ${seeded[2]!.id}`));
  assert.match(runPage, /fixed-concurrency\s+8 users/);
  assert.match(runPage, /TTFT \(send → first token\)/);
  assert.match(runPage, /took 30\.5 s/);
  const report = page.locator('a:text("report.html")');
  assert.equal(await report.getAttribute('href'), `/api/v1/runs/${seeded[2]!.id}/artifacts/report.html`);

  // a phone-sized window: the page itself never scrolls sideways (tables scroll in their box)
  await page.setViewportSize({ width: 360, height: 740 });
  const overflow = await page.evaluate(sidewaysOverflow);
  assert.ok(overflow <= 0, `the run page is ${overflow}px wider than a 360px window`);
  const narrowShot = await page.screenshot({ fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
  const wideShot = await page.screenshot({ fullPage: false });
  await page.goto(`${server.url}/runs`);
  await page.setViewportSize({ width: 360, height: 740 });
  const runsOverflow = await page.evaluate(sidewaysOverflow);
  assert.ok(runsOverflow <= 0, `the runs page is ${runsOverflow}px wider than a 360px window`);

  await page.goto(`${server.url}/api/v1/runs/${seeded[2]!.id}/artifacts/report.html`);
  assert.match(
    (await page.locator('title').textContent()) ?? '',
    new RegExp(`report ${seeded[2]!.id}`),
    'the session opens the report',
  );

  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${server.url}/hosts`);
  assert.equal(await page.locator('tbody tr').count(), 2);
  assert.match((await page.locator('tbody tr').first().textContent()) ?? '', /bbbbbbbbbbbb\s*–\s*cpu of b\s*2/);
  await page.locator(`a[href="/runs?host=${HOST_A}"]`).click();
  await page.waitForURL(/host=a+/);
  assert.equal(await page.locator('tbody tr').count(), 2, "a host's runs");

  // the table's rows: the chart's legend below it is a table too
  await page.goto(`${server.url}/calibrations`);
  assert.equal(await page.locator('.scroll tbody tr').count(), 2);
  await page.locator('a:text("1cpu-2GiB")').click();
  await page.waitForURL(/limits=1cpu-2GiB/);
  const calibrated = (await page.locator('.scroll tbody').textContent()) ?? '';
  assert.match(calibrated, /3\.46 req\/s/);
  assert.doesNotMatch(calibrated, /vllm/);

  assert.deepEqual(errors, []);
  assert.deepEqual(elsewhere, [], 'the dashboard loads nothing from elsewhere');
  // the README's picture (docs/server-run.png) shows a run with charts: dashboard-charts.browser.test.ts
  writeFileSync(join(home, 'server-run.png'), wideShot);
  writeFileSync(join(home, 'server-run-narrow.png'), narrowShot);
});
