import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { runBenchmark } from '../../app/run/run-benchmark.js';
import { planRun } from '../../app/run/run-plan.js';
import { createRunPorts } from '../../app/run/run-ports.js';
import { DEFAULT_CONFIG } from '../../config/config-schema.js';
import { newRunId } from '../../core/ids.js';
import { type Progress, silentProgress } from '../../core/progress.js';
import { openStore } from '../../store/open-store.js';
import { waitFor } from '../../testing/free-port.js';
import { openOfflinePage, requireBrowser, sidewaysOverflow } from '../../testing/offline-browser.js';
import { ensureTestModel } from '../../testing/test-model.js';
import { createApiToken } from '../auth/api-tokens.js';
import { serveKitt } from '../serve-kitt.js';

const DOCS = resolve(import.meta.dirname, '..', '..', '..', 'docs');

test('a real run publishes to a real server and its live page updates in place, then shows it done, in a 390 px window', async (t) => {
  const playwright = requireBrowser(t);
  if (!playwright) return;
  const home = mkdtempSync(join(tmpdir(), 'kitt-live-page-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const model = await ensureTestModel();
  const tokens = await (async () => {
    await using store = await openStore(join(home, 'kitt.db'));
    return {
      write: (await createApiToken(store, { name: 'runner', scope: 'write' })).token,
      read: (await createApiToken(store, { name: 'viewer', scope: 'read' })).token,
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

  // the run and the server share the home, so the finished run's page is there to link to
  const plan = await planRun(
    { model, load: 'constant-rate', rate: '3', duration: '7s', outputTokens: '16' },
    DEFAULT_CONFIG,
    {
      runId: newRunId(),
      env: process.env,
    },
  );
  const warnings: string[] = [];
  // a Progress that takes load events, as the terminal's does: the snapshot then knows what is in flight
  const progress: Progress = { ...silentProgress, warn: (line) => warnings.push(line), load: () => {} };
  const ports = await createRunPorts({
    config: DEFAULT_CONFIG,
    home,
    env: process.env,
    pull: false,
    progress,
    kittVersion: 't',
    live: { url: server.url, token: tokens.write },
  });
  t.after(() => ports.close());
  const started = performance.now();
  const mark = (what: string) => t.diagnostic(`${what} at ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const running = runBenchmark({ engine: plan.engine, load: plan.load, home, kittVersion: 't' }, ports, {
    progress,
    signal: new AbortController().signal,
  });
  const runId = plan.engine.runId;

  const { page, blocked: elsewhere } = await openOfflinePage(t, playwright, {
    viewport: { width: 390, height: 844 },
    allow: (url) => url.startsWith(server.url),
  });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${server.url}/sign-in`);
  await page.locator('input[name=token]').fill(tokens.read);
  await page.locator('button[type=submit]').click();
  await page.waitForURL(/\/runs$/);

  await waitFor(
    async () => {
      const list = (await (
        await fetch(`${server.url}/api/v1/live`, { headers: { authorization: `Bearer ${tokens.read}` } })
      ).json()) as { runs: Array<{ runId: string }> };
      return list.runs.some((run) => run.runId === runId) || undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200, what: 'the run to publish its first snapshot' },
  );
  mark('first snapshot');
  await page.goto(`${server.url}/live`);
  await page.locator(`a[href="/runs/${runId}/live"]`).click();
  await page.waitForURL(new RegExp(`/runs/${runId}/live$`));

  // the figures change in place while the run goes on: at least two updates before done
  const seen: Array<{ seq: string; completed: string; done: boolean }> = [];
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const state = {
      seq: (await page.locator('#live').getAttribute('data-seq')) ?? '0',
      completed: (await page.locator('#live-completed').textContent()) ?? '',
      done: !(await page.locator('#live-done').isHidden()),
    };
    if (seen.at(-1)?.seq !== state.seq) seen.push(state);
    if (state.done) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const updatesBeforeDone = seen.filter((s) => !s.done && s.seq !== '0');
  assert.ok(updatesBeforeDone.length >= 3, `the page updated ${updatesBeforeDone.length} times before done`);
  assert.ok(
    new Set(updatesBeforeDone.map((s) => s.completed)).size >= 2,
    `the completed count moved: ${JSON.stringify(seen)}`,
  );
  mark('page showed done');
  const outcome = await running;
  mark('run returned');
  assert.equal(outcome.status, 'succeeded');
  await page.locator('#live-done').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#live-status').textContent(), 'succeeded');
  // the live count has every finished request, warmup included; the run's metrics the measured ones
  const completed = Number(await page.locator('#live-completed').textContent());
  assert.ok(completed >= outcome.metrics.requests.succeeded && completed > 10, `completed ${completed}`);
  assert.match((await page.locator('#live-tokens').textContent()) ?? '', /tok\/s$/);
  assert.match((await page.locator('#live-ttft-p50').textContent()) ?? '', /ms$/);
  assert.notEqual(await page.locator('#live-in-flight').textContent(), '–', 'in flight comes from the load events');
  assert.equal(await page.locator('#live-chart canvas').count(), 1, 'the rolling chart is drawn');
  const overflow = await page.evaluate(sidewaysOverflow);
  assert.ok(overflow <= 0, `the live page is ${overflow}px wider than a 390px window`);
  const shot = await page.screenshot({ fullPage: true });
  writeFileSync(
    process.env.KITT_UPDATE_DOCS === '1' ? join(DOCS, 'server-live.png') : join(home, 'server-live.png'),
    shot,
  );

  await page.locator(`a[href="/runs/${runId}"]`).click();
  await page.waitForURL(new RegExp(`/runs/${runId}$`));
  assert.match((await page.locator('main').textContent()) ?? '', new RegExp(`Run ${runId}`));
  assert.deepEqual(errors, []);
  assert.deepEqual(elsewhere, [], 'the live page loads nothing from elsewhere');
  // on a busy host a POST may pass its deadline (then one warning says so); the server took the rest
  assert.deepEqual(
    warnings.filter((line) => line.startsWith('live view') && !/did not finish within/.test(line)),
    [],
    'the server refused no snapshot',
  );
});
