import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EXIT_CODES } from '../../core/errors.js';
import { openStore } from '../../store/open-store.js';
import { exitOf, kittSync, tempHome } from '../../testing/kitt-cli.js';
import { isAlive, kittSession, waitUntil } from '../../testing/kitt-session.js';
import { ensureTestModel } from '../../testing/test-model.js';

/** Two embedded configurations × two short loads; the second load lasts long enough to be interrupted. */
function gridFile(dir: string, model: string): string {
  const path = join(dir, 'grid.yaml');
  writeFileSync(
    path,
    `name: grid
matrix:
  models: [${model}]
  engines:
    - { name: embedded, parallel: 1 }
    - { name: embedded, parallel: 2 }
  loads:
    - { load: fixed-concurrency, concurrency: 2, requests: 4, warmup: 1, promptTokens: 16, outputTokens: 16 }
    - { load: constant-rate, rate: 2, duration: 4s, warmup: 1, promptTokens: 16, outputTokens: 16 }
  slos: ["ttft=2s"]
`,
  );
  return path;
}

async function cellsOf(home: string) {
  await using store = await openStore(join(home, 'kitt.db'));
  const [campaign] = await store.listCampaigns();
  assert.ok(campaign, 'the campaign is recorded');
  return { campaign, cells: await store.listCampaignCells(campaign.id), runs: await store.listRuns({ limit: 100 }) };
}

test('a 2 × 2 campaign interrupted by Ctrl-C and run again runs no finished cell twice, then reports every cell', async (t) => {
  const home = tempHome(t);
  const file = gridFile(home, await ensureTestModel());
  const plan = kittSync(['campaign', 'plan', file, '--json'], { KITT_HOME: home });
  assert.equal(plan.code, 0, plan.stderr);
  const planned = JSON.parse(plan.stdout) as { cells: Array<{ id: string }> };
  assert.equal(planned.cells.length, 4);

  const kitt = kittSession(t, ['campaign', 'run', file], { KITT_HOME: home });
  const inSecondCell = () => /cell 2\/4[\s\S]*stage 1\/1 constant-rate/.test(kitt.output());
  assert.ok(await waitUntil(() => inSecondCell() || kitt.child.exitCode !== null, 120_000), kitt.output());
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  kitt.signalGroup('SIGINT');
  const exit = await exitOf(kitt.child);
  assert.equal(exit.code, EXIT_CODES.INTERRUPTED, kitt.output());
  assert.match(kitt.output(), /campaign grid-[0-9a-f]{8} was interrupted by SIGINT/);
  assert.match(kitt.output(), /resumes it: cells that succeeded are not run again/);
  assert.deepEqual(kitt.spawned().filter(isAlive), [], 'the engine of the interrupted cell is gone');

  const stopped = await cellsOf(home);
  assert.deepEqual(
    stopped.cells.map((cell) => cell.cellId),
    planned.cells.map((cell) => cell.id),
  );
  assert.deepEqual(
    stopped.cells.map((cell) => cell.state),
    ['succeeded', 'interrupted', 'pending', 'pending'],
  );
  const interruptedRun = stopped.runs.find((run) => run.id === stopped.cells[1]!.runId);
  assert.equal(interruptedRun?.status, 'interrupted', 'the partial run is recorded as kitt run records it');

  const status = kittSync(['campaign', 'status', 'grid', '--json'], { KITT_HOME: home });
  assert.equal(status.code, 0, status.stderr);
  assert.deepEqual(JSON.parse(status.stdout).counts, {
    pending: 2,
    running: 0,
    succeeded: 1,
    failed: 0,
    interrupted: 1,
    dead: 0,
    cancelled: 0,
  });
  const table = kittSync(['campaign', 'status', 'grid'], { KITT_HOME: home });
  assert.match(
    table.stdout,
    /4 cells, 1 succeeded, 2 pending, 1 interrupted|4 cells, 2 pending, 1 succeeded, 1 interrupted/,
  );
  assert.match(table.stdout, new RegExp(`${stopped.cells[0]!.cellId}\\s+succeeded\\s+1\\s+${stopped.cells[0]!.runId}`));

  const rerun = kittSync(['campaign', 'run', file], { KITT_HOME: home }, { timeoutMs: 240_000 });
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match(rerun.stdout, /3 cells run now, 1 succeeded before \(skipped\)/);

  const done = await cellsOf(home);
  assert.deepEqual(
    done.cells.map((cell) => cell.state),
    ['succeeded', 'succeeded', 'succeeded', 'succeeded'],
  );
  assert.deepEqual(done.cells[0]!.runIds, [stopped.cells[0]!.runId], 'the succeeded cell was not run again');
  assert.equal(done.cells[1]!.runIds.length, 2, 'the interrupted cell was run again');
  assert.equal(done.cells[1]!.runIds[0], stopped.cells[1]!.runId);
  assert.equal(done.runs.length, 5, 'one run per cell, and one more for the interrupted attempt');

  const report = readFileSync(join(home, 'campaigns', done.campaign.id, 'campaign.html'), 'utf8');
  const tables = report.match(/<section class="metric">[\s\S]*?<\/section>/g) ?? [];
  assert.deepEqual(
    tables.map((section) => /<h2>([^<]*)/.exec(section)![1]!.trim()),
    ['throughput', 'TTFT p50', 'TTFT p99', 'TPOT p50', 'goodput under ttft=2s'],
  );
  for (const section of tables) {
    const values = section.match(/<td class="num"[^>]*>[0-9.]+</g) ?? [];
    assert.equal(values.length, 4, `a value for each of the 4 cells: ${section}`);
  }
  for (const cell of done.cells) {
    const run = done.runs.find((r) => r.id === cell.runId)!;
    assert.ok(report.includes(`../../results/${run.id}/report.html`), `links the report of ${cell.cellId}`);
    assert.ok(existsSync(join(run.resultPath!, 'report.html')));
  }
  assert.match(report, /best configuration per SLO[\s\S]*ttft=2s/);
  assert.ok(existsSync(join(home, 'campaigns', done.campaign.id, 'compare.html')), 'cells compared with the first');
});
