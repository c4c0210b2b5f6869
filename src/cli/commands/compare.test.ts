import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { compareStoredRuns } from '../../app/compare/compare-stored-runs.js';
import { EXIT_CODES } from '../../core/errors.js';
import type { RequestLevelComparison } from '../../metrics/compare-runs.js';
import { defaultStorePath, openStore } from '../../store/open-store.js';
import { kittSync } from '../../testing/kitt-cli.js';
import { recordExactScheduleRun } from '../../testing/record-exact-run.js';

const recordRun = recordExactScheduleRun;

// The noise floor is this host's, under the parallel test pool: one schedule run twice has read
// ITL p50 +3.2 % [2.7, 4.0] apart. 5 % still leaves the 12 ms run's +20 % well clear.
const FLAGS = { alpha: 0.05, noise: 0.05, resamples: 2000, seed: 1 } as const;

function tempHome(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-compare-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('on the exact-schedule server ITL 12 ms is slower than 10 ms, and one schedule twice is no difference', async (t) => {
  const home = tempHome(t);
  const base = await recordRun(home, 10);
  const same = await recordRun(home, 10);
  const slow = await recordRun(home, 12);
  await using store = await openStore(defaultStorePath(home));
  const report = await compareStoredRuns(store, { names: [base, same, slow.slice(0, 22)], ...FLAGS });
  const [sameRun, slowRun] = report.comparisons as RequestLevelComparison[];
  assert.ok(
    report.comparisons.every((c) => c.unit === 'requests'),
    'single runs are compared request by request',
  );
  const latency = (comparison: typeof sameRun, metric: string) =>
    comparison!.latencies.find((l) => l.metric === metric)!;
  const told = (l: ReturnType<typeof latency>) => `p50 ${JSON.stringify(l.statistics[0])}, p ${l.rankTest.p}`;
  for (const metric of ['itl', 'tpot']) {
    const slower = latency(slowRun, metric);
    const same = latency(sameRun, metric);
    assert.equal(slower.verdict, 'slower', `${metric} at 12 ms vs 10 ms: ${told(slower)}`);
    assert.equal(same.verdict, 'no significant difference', `${metric} on one schedule: ${told(same)}`);
  }
  const itlP50 = slowRun!.latencies.find((l) => l.metric === 'itl')!.statistics[0]!;
  // +20 % nominal; a busy host squeezes some intervals of either run, so the bound is loose
  assert.ok(itlP50.low > 0.1 && itlP50.high < 0.45, `ITL p50 change [${itlP50.low}, ${itlP50.high}] around +20 %`);
  assert.equal(slowRun!.candidateId, slow, 'a unique prefix names the run');
  assert.deepEqual(sameRun!.comparability, { refusal: null, warnings: [] });

  const html = join(home, 'compare.html');
  const cli = kittSync(['compare', base, slow, '--metric', 'itl,tpot,throughput', '--html', html], { KITT_HOME: home });
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, new RegExp(`${slow} against baseline ${base}`));
  assert.match(cli.stdout, /^ITL \(48\/48\) +p50 .* slower$/m);
  assert.match(cli.stdout, /^TPOT \(48\/48\) +p50 .* slower$/m);
  assert.match(cli.stdout, /^output tok\/s +run .*not tested$/m);
  assert.doesNotMatch(cli.stdout, /^TTFT/m, '--metric picks the metrics');
  assert.match(cli.stdout, /B = 2000/);
  assert.match(cli.stdout, /not independent of the host's drift/);
  const page = readFileSync(html, 'utf8');
  assert.equal(page.match(/<svg /g)?.length, 8, 'one interval drawing per statistic of ITL and TPOT');
  assert.equal(page.match(/<td class="slower">slower<\/td>/g)?.length, 2);
  assert.doesNotMatch(page, /<script|https?:\/\//, 'opens offline: no script, no fetch');
  assert.match(cli.stdout, new RegExp(`wrote ${html}`));
});

test('compare refuses runs of different models in one line naming --force, and compares them when forced', async (t) => {
  const home = tempHome(t);
  const base = await recordRun(home, 10, 'qwen.gguf');
  const other = await recordRun(home, 10, 'llama.gguf');
  const refused = kittSync(['compare', base, other], { KITT_HOME: home });
  assert.equal(refused.code, EXIT_CODES.USAGE);
  assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
  assert.match(refused.stderr, /different models \(qwen\.gguf vs llama\.gguf\).*--force/);
  const forced = kittSync(['compare', base, other, '--force', '--json', '--metric', 'ttft'], { KITT_HOME: home });
  assert.equal(forced.code, 0, forced.stderr);
  const report = JSON.parse(forced.stdout) as { comparisons: [{ comparability: { refusal: string } }] };
  assert.match(report.comparisons[0].comparability.refusal, /different models/);
  const badNoise = kittSync(['compare', base, other, '--noise', '5'], { KITT_HOME: home });
  assert.equal(badNoise.code, EXIT_CODES.USAGE);
  assert.equal(
    badNoise.stderr.trim(),
    'error: --noise 5 is not a relative threshold (e.g. --noise 2% or --noise 0.02)',
  );
  const unknown = kittSync(['compare', base, 'nope'], { KITT_HOME: home });
  assert.equal(unknown.code, EXIT_CODES.USAGE);
  assert.match(unknown.stderr, /no run nope in .*kitt results list/);
});
