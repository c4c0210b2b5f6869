import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { Page } from 'playwright-core';
import { exitOf, kittSpawn, kittSync, tempHome } from '../testing/kitt-cli.js';
import { waitUntil } from '../testing/kitt-session.js';
import { openOfflinePage, requireBrowser } from '../testing/offline-browser.js';
import { keepScreenshot } from '../testing/screenshots.js';
import { ensureTestModel } from '../testing/test-model.js';
import { postgresTestSchema } from '../testing/test-postgres.js';

// A team's results, end to end and all real: one `kitt server` on PostgreSQL, two kitt clients with
// homes of their own pushing their runs to it, and a person in Chromium who signs in, finds both,
// compares them and opens each one's report.

/** Two loads that differ in what the server sees: one request at a time against four at once. */
const CLIENT_LOADS = [
  ['--requests', '12', '--concurrency', '1'],
  ['--requests', '12', '--concurrency', '4'],
] as const;
const COMMON_LOAD = ['--threads', '1', '--warmup', '1', '--prompt-tokens', '16', '--output-tokens', '16'];

function createToken(store: string, name: string, scope: string): string {
  const created = kittSync(['server', 'token', 'create', '--store', store, '--name', name, '--scope', scope], {});
  assert.equal(created.code, 0, created.stderr);
  const token = created.stdout.trim();
  assert.match(token, /^\S+$/, 'the token, alone on stdout');
  return token;
}

async function startServer(t: TestContext, store: string) {
  const home = tempHome(t, 'kitt-team-server-');
  const server = kittSpawn(t, ['server', '--store', store, '--port', '0', '--data', `${home}/data`], {
    KITT_HOME: home,
  });
  const listening = () => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(server.output())?.[1];
  assert.ok(await waitUntil(() => Boolean(listening()) || server.exitCode !== null, 60_000), server.output());
  assert.match(server.output(), /store postgres:\/\/kitt:\*+@/, 'the store is named with its password masked');
  t.after(async () => {
    server.kill('SIGTERM');
    await exitOf(server);
  });
  return { url: listening()!, output: () => server.output() };
}

/** Waits until every chart of the page has been drawn with points; returns how many. */
async function chartsDrawn(page: Page): Promise<number> {
  const expected = await page.locator('.chart').count();
  assert.ok(expected > 0, 'the page has charts to draw');
  await page.waitForFunction(
    (n) => ((globalThis as { kittCharts?: unknown[] }).kittCharts ?? []).length >= n,
    expected,
    { timeout: 30_000 },
  );
  return expected;
}

test('two kitt clients push their runs to one kitt server on PostgreSQL; a person signs in, compares them and opens each report', async (t) => {
  const playwright = requireBrowser(t);
  if (!playwright) return;
  const pg = await postgresTestSchema(t);
  if (!pg) return;
  const store = pg.url.toString();
  const writers = ['lab-a', 'lab-b'].map((name) => createToken(store, name, 'write'));
  const reader = createToken(store, 'alice', 'read');
  const server = await startServer(t, store);
  const model = await ensureTestModel();

  const clients = CLIENT_LOADS.map((load, i) => ({ home: tempHome(t, `kitt-client-${i}-`), load, token: writers[i]! }));
  const finished = await Promise.all(
    clients.map(async (client) => {
      const child = kittSpawn(t, ['run', '-m', model, ...COMMON_LOAD, ...client.load, '--upload', server.url], {
        KITT_HOME: client.home,
        KITT_SERVER_TOKEN: client.token,
      });
      const { code } = await exitOf(child);
      return { code, output: child.output() };
    }),
  );
  const runIds = finished.map(({ code, output }) => {
    assert.equal(code, 0, output);
    const pushed = /^(?:\[kitt\] )?pushed (\S+) → \S+ \(created\)/m.exec(output);
    assert.ok(pushed, `the client says it pushed its run:\n${output}`);
    return pushed[1]!;
  });
  assert.notEqual(runIds[0], runIds[1]);
  for (const [i, name] of ['lab-a', 'lab-b'].entries()) {
    assert.match(
      server.output(),
      new RegExp(`write by token "${name}" \\(\\S+\\): PUT /api/v1/runs/${runIds[i]} -> 201`),
      'writes logged by token name',
    );
  }

  const { page, blocked } = await openOfflinePage(t, playwright, {
    viewport: { width: 1280, height: 900 },
    allow: (url) => url.startsWith(server.url),
  });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));

  await page.goto(`${server.url}/runs`);
  await page.locator('input[name=token]').fill(reader);
  await page.locator('button[type=submit]').click();
  await page.waitForURL(`${server.url}/runs`);
  for (const id of runIds) assert.equal((await page.locator(`a[href="/runs/${id}"]`).count()) > 0, true, id);
  keepScreenshot('team-runs', await page.screenshot({ fullPage: true }));

  for (const id of runIds) await page.locator(`input[type=checkbox][value="${id}"]`).check();
  await page.locator('button:text("Compare selected")').click();
  await page.waitForURL(/\/compare\?/);
  const comparison = (await page.locator('section.comparison').first().textContent()) ?? '';
  assert.match(comparison, /TTFT p50/);
  assert.ok((await page.locator('section.comparison .verdict').count()) > 0, 'a verdict per compared metric');
  assert.match(comparison, /better|worse|no change/);
  keepScreenshot('team-compare', await page.screenshot({ fullPage: true }));

  for (const [i, id] of runIds.entries()) {
    await page.goto(`${server.url}/runs/${id}`);
    assert.ok((await chartsDrawn(page)) >= 4, 'the run page draws its report charts');
    keepScreenshot(`team-run-${i}`, await page.screenshot({ fullPage: true }));
    const report = await page.locator('a:text("report.html")').getAttribute('href');
    assert.ok(report, 'the run page links its report');
    await page.goto(`${server.url}${report}`);
    assert.match(await page.title(), new RegExp(id.slice(0, 16)));
    assert.ok((await chartsDrawn(page)) >= 4, "the pushed report draws its charts, served from the server's copy");
    keepScreenshot(`team-report-${i}`, await page.screenshot({ fullPage: true }));
  }

  assert.deepEqual(errors, [], 'no script error on any page');
  assert.deepEqual(blocked, [], 'nothing loaded from elsewhere');
  for (const token of [...writers, reader]) {
    assert.ok(!server.output().includes(token), 'no token in the server log');
    assert.ok(!finished.some(({ output }) => output.includes(token)), 'no token in the clients output');
  }
});
