import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { openStore } from '../../store/open-store.js';
import { kittSync, tempHome } from '../../testing/kitt-cli.js';
import { spawnExactScheduleServer } from '../../testing/spawn-exact-schedule-server.js';

// biome-ignore lint/suspicious/noExplicitAny: the --json report is read field by field, as a user would
type Json = any;

/** One series (or, with repeat 1, one plain run) against an exact-schedule server with this ITL. */
async function recordSeries(t: TestContext, home: string, itlMs: number, repeat: number): Promise<void> {
  const server = await spawnExactScheduleServer(['--ttft-ms', '20', '--itl-ms', String(itlMs)]);
  t.after(() => server.close());
  // two warmup requests take the client's first-request costs (JIT, connection) out of each repeat
  const args = ['run', '--target', server.url, '--served-model', 'm', '--requests', '8', '--warmup', '2'];
  const result = kittSync([...args, '--output-tokens', '16', ...(repeat > 1 ? ['--repeat', String(repeat)] : [])], {
    KITT_HOME: home,
  });
  assert.equal(result.code, 0, result.stderr);
  await server.close();
}

/** The stored runs as series id → run ids in repeat order, and the runs of no series. */
async function readSeries(home: string): Promise<{ series: Map<string, string[]>; single: string[] }> {
  await using store = await openStore(join(home, 'kitt.db'));
  const series = new Map<string, string[]>();
  const single: string[] = [];
  const rows = (await store.listRuns({ limit: 100 })).sort(
    (a, b) => ((a.config as Json).repeat?.index ?? 0) - ((b.config as Json).repeat?.index ?? 0),
  );
  for (const row of rows) {
    const group = (row.config as Json).repeat?.group;
    if (group) series.set(group, [...(series.get(group) ?? []), row.id]);
    else single.push(row.id);
  }
  return { series, single };
}

test('two series of repeats are compared across runs: Welch per figure, ITL 30 ms slower than 10 ms', async (t) => {
  const home = tempHome(t);
  await recordSeries(t, home, 10, 3);
  // ITL tripled, not doubled: on a busy host one stalled repeat of three can widen the baseline's
  // spread enough to hide a doubling of TPOT (Welch with about 2 degrees of freedom, t = 4.3)
  await recordSeries(t, home, 30, 3);
  await recordSeries(t, home, 30, 1);
  const { series, single } = await readSeries(home);
  const [fast, slow] = [...series.keys()].sort();
  assert.ok(fast && slow && single.length === 1, `two series and one run: ${[...series.keys()]} ${single}`);

  const html = join(home, 'compare.html');
  const cli = kittSync(['compare', fast, slow.slice(0, 23), '--html', html], { KITT_HOME: home });
  assert.equal(cli.code, 0, cli.stderr);
  const told = `\n${cli.stdout}`;
  assert.match(
    cli.stdout,
    new RegExp(`^${slow} against baseline ${fast}: across repeats, 3 vs 3 runs \\(runs as the unit\\)$`, 'm'),
  );
  assert.match(cli.stdout, /^METRIC +STAT +BASELINE mean ± sd +CANDIDATE mean ± sd +CHANGE +95% CI +P +VERDICT$/m);
  assert.match(
    cli.stdout,
    /^ITL +p50 +[\d.]+ ± [\d.]+ ms +[\d.]+ ± [\d.]+ ms +\+[\d.]+% +\[\+[\d.]+%, \+[\d.]+%\] +[<\d.]+ +slower$/m,
    told,
  );
  assert.match(cli.stdout, /^TPOT +p50 .* slower$/m, told);
  // a third of the token rate; a busy host can spread the baseline's repeats enough to leave it untold, never faster
  assert.match(cli.stdout, /^throughput +tok\/s .* (slower|no significant difference)$/m, told);
  assert.match(cli.stdout, /^ +req\/s +[\d.]+ ± /m, 'req/s is shown beside tok/s, without a verdict of its own');
  assert.match(cli.stdout, /method across repeats: runs as the unit.*Welch's t-test/);
  assert.doesNotMatch(cli.stdout, /not independent of the host's drift/, 'runs as the unit: no single-run caveat');
  assert.doesNotMatch(cli.stdout, /method across requests/);
  const page = readFileSync(html, 'utf8');
  assert.match(page, /across repeats, 3 vs 3 runs/);
  assert.equal(page.match(/<svg /g)?.length, 14, 'one drawing per figure: 4 latencies × 3, tok/s and req/s');
  assert.ok((page.match(/<td class="slower">slower<\/td>/g)?.length ?? 0) >= 2, 'ITL and TPOT slower');

  // --series: any repeat of each series stands for it; --json gives the data
  const json = kittSync(['compare', series.get(fast)![1]!, series.get(slow)![2]!, '--series', '--json'], {
    KITT_HOME: home,
  });
  assert.equal(json.code, 0, json.stderr);
  const report: Json = JSON.parse(json.stdout);
  assert.equal(report.caveat, null);
  assert.deepEqual(
    report.sides.map((s: Json) => [s.kind, s.id, s.runIds]),
    [
      ['series', fast, series.get(fast)],
      ['series', slow, series.get(slow)],
    ],
  );
  const [comparison] = report.comparisons;
  assert.equal(comparison.unit, 'repeats');
  assert.deepEqual(comparison.repeats, { baseline: 3, candidate: 3 });
  const itl = comparison.metrics.find((m: Json) => m.key === 'itlMs.p50');
  assert.equal(itl.baseline.values.length, 3);
  assert.ok(
    itl.verdict === 'slower' && itl.change.change > 0.5,
    `ITL triples: ${JSON.stringify(itl.change)}, p ${itl.welch.p}`,
  );
  assert.deepEqual(comparison.comparability, { refusal: null, warnings: [] });

  // a series against a single run, and a repeat named without --series: request by request, with notes
  const mixed = kittSync(['compare', fast, single[0]!, series.get(slow)![0]!, '--metric', 'itl'], { KITT_HOME: home });
  assert.equal(mixed.code, 0, mixed.stderr);
  assert.match(mixed.stdout, new RegExp(`^${single[0]} against baseline ${fast}$`, 'm'));
  assert.match(
    mixed.stdout,
    new RegExp(
      `note: series ${fast} has 3 completed repeats but the other side is a single run: compared request by request`,
    ),
  );
  assert.match(
    mixed.stdout,
    /^ITL \(24\/8\) +p50 .* slower$/m,
    `the series' 3 × 8 requests pooled against 8\n${mixed.stdout}`,
  );
  assert.match(
    mixed.stdout,
    new RegExp(
      `note: run ${series.get(slow)![0]} is repeat 1/3 of series ${slow}: name the series \\(or pass --series\\)`,
    ),
  );
  assert.match(mixed.stdout, /method across requests: .*bootstrap over requests/);
  assert.match(mixed.stdout, /note: requests within one run are not independent of the host's drift/);
});
