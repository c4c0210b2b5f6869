import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { EXIT_CODES } from '../../core/errors.js';
import { openStore } from '../../store/open-store.js';
import { exitOf, kittSpawn, kittSync, tempHome } from '../../testing/kitt-cli.js';
import { kittSession, waitUntil } from '../../testing/kitt-session.js';
import { spawnExactScheduleServer } from '../../testing/spawn-exact-schedule-server.js';

// biome-ignore lint/suspicious/noExplicitAny: result documents are read field by field, as a user would
type Json = any;

async function kitt(t: TestContext, args: readonly string[], env: Record<string, string>) {
  const child = kittSpawn(t, args, env);
  const { code } = await exitOf(child);
  return { code, output: child.output() };
}

test('--repeat 3 makes three stored runs of one series, its files and the table across them', async (t) => {
  const server = await spawnExactScheduleServer(['--ttft-ms', '30', '--itl-ms', '5']);
  t.after(() => server.close());
  const home = tempHome(t);
  const args = ['run', '--target', server.url, '--served-model', 'm', '--repeat', '3', '--requests', '4'];
  const result = await kitt(t, [...args, '--warmup', '0', '--output-tokens', '8', '--slo', 'ttft=1s'], {
    KITT_HOME: home,
  });
  assert.equal(result.code, 0, result.output);

  await using store = await openStore(join(home, 'kitt.db'));
  const rows = await store.listRuns();
  assert.equal(rows.length, 3);
  const marks = rows.map((row) => (row.config as Json).repeat).sort((a: Json, b: Json) => a.index - b.index);
  const group = marks[0].group;
  assert.deepEqual(
    marks,
    [1, 2, 3].map((index) => ({ group, index, of: 3 })),
  );
  assert.ok(rows.every((row) => row.status === 'succeeded'));

  const dir = join(home, 'results', group);
  const series: Json = JSON.parse(readFileSync(join(dir, 'repeats.json'), 'utf8'));
  assert.equal(series.schema, 'kitt.repeats.v1');
  assert.deepEqual(series.runs.map((r: Json) => r.runId).sort(), rows.map((row) => row.id).sort());
  for (const run of series.runs) {
    const runJson: Json = JSON.parse(readFileSync(join(run.resultDir, 'run.json'), 'utf8'));
    assert.equal(runJson.config.repeat.group, group, 'run.json carries the series too');
  }
  // each repeat's figures are its own metrics.json's, and the mean is theirs
  const perRun = series.runs.map(
    (r: Json) => JSON.parse(readFileSync(join(r.resultDir, 'metrics.json'), 'utf8')).metrics.ttftMs.p50,
  );
  const ttft = series.metrics['ttftMs.p50'];
  assert.deepEqual(ttft.values, perRun);
  assert.ok(Math.abs(ttft.mean - perRun.reduce((a: number, b: number) => a + b, 0) / 3) < 1e-9);
  assert.ok(ttft.mean >= 30 && ttft.mean < 150, `TTFT p50 near the schedule's 30 ms: ${ttft.mean}`);
  assert.ok(ttft.interval.low <= ttft.mean && ttft.mean <= ttft.interval.high);
  assert.ok(Math.abs(ttft.interval.t - 4.302652729911275) < 1e-6, 't with 2 degrees of freedom');
  assert.equal(series.metrics.goodputRequestsPerS.n, 3, 'goodput with an SLO');
  assert.ok(existsSync(join(dir, 'repeats.md')));
  assert.match(readFileSync(join(dir, 'repeats.md'), 'utf8'), /\| TTFT p50 \(ms\) \| 3 \|/);

  assert.match(result.output, /repeat 3\/3/);
  assert.match(result.output, /across repeats:\nmetric\s+n\s+mean\s+sd\s+CV\s+95 % CI of mean/);
  assert.match(result.output, /\nthroughput \(req\/s\)\s+3\s+[\d.]+\s+[\d.]+\s+[\d.]+ %\s+[\d.-]+ … [\d.]+/);
  assert.match(result.output, /3 of 3 repeats completed/);
  assert.ok(result.output.includes(`series files: ${dir}`));
});

test('--repeat 0 and --repeat x are refused with the fix before anything starts', (t) => {
  const home = tempHome(t);
  for (const bad of ['0', 'x']) {
    const result = kittSync(['run', '--repeat', bad], { KITT_HOME: home });
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(`--repeat must be a whole number above 0, got "${bad}".*e\\.g\\. --repeat 3`),
    );
  }
  assert.equal(existsSync(join(home, 'results')), false, 'nothing ran');
});

test("an interrupt in repeat 2 stops the series: repeat 1 is kept, the series covers it, the exit is the interrupt's", async (t) => {
  const server = await spawnExactScheduleServer(['--ttft-ms', '20', '--itl-ms', '5']);
  t.after(() => server.close());
  const home = tempHome(t);
  const load = ['--load', 'constant-rate', '--rate', '4', '--duration', '3s', '--warmup', '0', '--output-tokens', '4'];
  const kitt = kittSession(t, ['run', '--target', server.url, '--served-model', 'm', '--repeat', '3', ...load], {
    KITT_HOME: home,
  });
  const second = await waitUntil(
    () => /repeat 2\/3 of series/.test(kitt.output()) || kitt.child.exitCode !== null,
    60_000,
  );
  assert.ok(second && kitt.child.exitCode === null, kitt.output());
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  kitt.signalGroup('SIGINT');
  const exit = await exitOf(kitt.child);
  const output = kitt.output();
  assert.equal(exit.code, EXIT_CODES.INTERRUPTED, output);
  assert.doesNotMatch(output, /repeat 3\/3/, 'the series stopped');

  await using store = await openStore(join(home, 'kitt.db'));
  const rows = (await store.listRuns()).sort((a, b) => a.id.localeCompare(b.id));
  assert.deepEqual(
    rows.map((row) => [row.status, (row.config as Json).repeat.index]),
    [
      ['succeeded', 1],
      ['interrupted', 2],
    ],
  );
  const group = (rows[0]!.config as Json).repeat.group;
  const series: Json = JSON.parse(readFileSync(join(home, 'results', group, 'repeats.json'), 'utf8'));
  assert.equal(series.runs.length, 2);
  assert.match(series.stoppedBy, /interrupt/);
  assert.equal(series.metrics.requestsPerS.n, 1, 'only the completed repeat counts');
  assert.equal(series.metrics.requestsPerS.interval, null, 'one run: no interval');
  assert.match(output, /1 of 3 repeats completed .*a single run has no spread: no interval/);
});
