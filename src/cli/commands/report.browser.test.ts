import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { kittSync, tempHome } from '../../testing/kitt-cli.js';
import { requireLlamaServer } from '../../testing/llama-server-binary.js';
import { openOfflinePage, requireBrowser } from '../../testing/offline-browser.js';
import { ensureTestModel } from '../../testing/test-model.js';

const SCREENSHOT = resolve(import.meta.dirname, '..', '..', '..', 'docs', 'report.png');

interface JsonRecord {
  phase: string;
  stage: number;
  sentAtMs: number | null;
  firstContentAtMs: number | null;
  error: unknown;
  engine: unknown;
}

interface DrawnChart {
  id: string;
  points: number;
  drawn: number;
  series: Array<{ label: string; points: number }>;
}

test('report.html of a two-level sweep on llama-server draws every chart offline with one point per record or sample', async (t) => {
  const playwright = requireBrowser(t);
  if (!playwright) return;
  const binary = requireLlamaServer(t);
  if (!binary) return;
  const home = tempHome(t);
  const model = await ensureTestModel();
  const run = kittSync(
    [
      'run',
      '-e',
      'llamacpp',
      '--mode',
      'native',
      '-m',
      model,
      '--cpus',
      '1',
      '--load',
      'sweep',
      '--levels',
      '2,4',
      '--requests',
      '6',
      '--prompt-tokens',
      '16',
      '--output-tokens',
      '12',
      '--slo',
      'ttft=400ms,e2e=1500ms,itl-p99=60ms',
    ],
    { KITT_HOME: home, PATH: `${dirname(binary)}:${process.env.PATH ?? ''}` },
    { timeoutMs: 240_000 },
  );
  assert.equal(run.code, 0, run.stderr);
  const runId = readdirSync(join(home, 'results'))[0]!;
  const dir = join(home, 'results', runId);
  const written = statSync(join(dir, 'report.html'));
  assert.ok(written.size < 400_000, `report.html is ${written.size} bytes`);

  // kitt report rebuilds it from the stored run; an unknown id is one usage line naming the fix
  const rebuilt = kittSync(['report', runId], { KITT_HOME: home });
  assert.equal(rebuilt.code, 0, rebuilt.stderr);
  assert.equal(rebuilt.stdout.trim(), join(dir, 'report.html'));
  const unknown = kittSync(['report', 'NO-SUCH-RUN'], { KITT_HOME: home });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no run NO-SUCH-RUN.*kitt results list/s);

  // what the charts must hold, counted straight from the files
  const records = readFileSync(join(dir, 'requests.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as JsonRecord);
  const measured = records.filter((r) => r.phase === 'measure' && r.error === null);
  const withTtft = measured.filter((r) => r.firstContentAtMs !== null).length;
  const statsLines = existsSync(join(dir, 'stats.jsonl'))
    ? readFileSync(join(dir, 'stats.jsonl'), 'utf8').trim().split('\n').length
    : 0;
  const stages = new Set(records.filter((r) => r.phase === 'measure').map((r) => r.stage)).size;
  assert.equal(stages, 2);
  const expected: Record<string, number> = {
    'ttft-cdf': withTtft,
    'e2e-cdf': measured.length,
    'latency-over-time': records.filter((r) => r.sentAtMs !== null).length,
    'sweep-latency-vs-rate': stages,
    'sweep-throughput-vs-latency': stages,
  };
  assert.ok(statsLines > 0, 'the engine process was sampled');
  Object.assign(expected, {
    'cpu-over-time': statsLines,
    'throttling-over-time': statsLines,
    'memory-over-time': statsLines,
  });
  expected['engine-cross-check'] = measured.filter((r) => r.engine !== null).length;

  const { page, blocked } = await openOfflinePage(t, playwright, {
    viewport: { width: 1280, height: 1700 },
    allow: (url) => url.startsWith('file:'),
  });
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(pathToFileURL(join(dir, 'report.html')).href);
  const chartCount = await page.locator('.chart').count();
  await page.waitForFunction(
    (n) => (globalThis as unknown as { kittCharts?: unknown[] }).kittCharts?.length === n,
    chartCount,
  );
  const drawn = (await page.evaluate(
    () => (globalThis as unknown as { kittCharts: unknown[] }).kittCharts,
  )) as DrawnChart[];
  const canvases = await page.locator('.chart canvas').count();

  assert.deepEqual(errors, []);
  assert.deepEqual(blocked, [], 'the report fetched nothing from the network');
  assert.equal(canvases, chartCount, 'every chart has its canvas');
  const byId = new Map(drawn.map((chart) => [chart.id, chart]));
  for (const [id, points] of Object.entries(expected)) {
    const chart = byId.get(id);
    assert.ok(chart, `chart ${id} is drawn`);
    assert.equal(chart.drawn, points, `${id} has one point per record or sample`);
  }
  const specs = JSON.parse((await page.locator('#kitt-report-data').textContent()) ?? '[]') as Array<{
    id: string;
    data: number[][];
  }>;
  const ttftBins = specs.find((s) => s.id === 'ttft-histogram')!.data[1]!;
  assert.equal(
    ttftBins.reduce((a, b) => a + b, 0),
    withTtft,
    'the TTFT histogram counts every measured request',
  );
  assert.ok((await page.locator('text=SLO attainment').count()) > 0, 'the headline shows the SLO');

  // the README's picture: refreshed in docs/ only when asked (KITT_UPDATE_DOCS=1), so that npm test
  // leaves a clone as it found it; otherwise it goes to the test's temp home
  const shot = await page.screenshot({ fullPage: false });
  writeFileSync(process.env.KITT_UPDATE_DOCS === '1' ? SCREENSHOT : join(home, 'report.png'), shot);
});
