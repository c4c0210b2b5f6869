import assert from 'node:assert/strict';
import { test } from 'node:test';
import { embeddedCampaign, fleetFixture, recorded, SECOND_LOAD, SHORT_LOAD } from '../../testing/fleet-fixture.js';
import { exitOf, tempHome } from '../../testing/kitt-cli.js';
import { waitUntil } from '../../testing/kitt-session.js';
import { ensureTestModel } from '../../testing/test-model.js';

test('two agents and a server on PostgreSQL run a 2 × 2 embedded campaign, each cell recorded once', async (t) => {
  const fleet = await fleetFixture(t, { leaseMarginS: 60 });
  if (!fleet) return;
  await fleet.startServer();
  const agents = [fleet.startAgent('a'), fleet.startAgent('b')];
  const file = embeddedCampaign(tempHome(t), await ensureTestModel(), {
    name: 'fleet-grid',
    engines: ['{ name: embedded, parallel: 1 }', '{ name: embedded, parallel: 2 }'],
    loads: [SHORT_LOAD, SECOND_LOAD],
  });
  const submit = fleet.kitt(['campaign', 'run', file, '--server', fleet.url]);
  const exit = await exitOf(submit);
  assert.equal(
    exit.code,
    0,
    `${submit.output()}\n--- server\n${fleet.server.output()}\n--- a\n${agents[0]!.output()}\n--- b\n${agents[1]!.output()}`,
  );
  assert.match(submit.output(), /4 cells, 4 succeeded/);

  const { cells, runs } = await recorded(fleet.storeUrl);
  assert.deepEqual(
    cells.map((cell) => cell.state),
    ['succeeded', 'succeeded', 'succeeded', 'succeeded'],
  );
  for (const cell of cells) {
    assert.equal(cell.attempts, 1, `cell ${cell.cellId} ran once`);
    assert.ok(
      runs.some((run) => run.id === cell.runId && run.status === 'succeeded'),
      `its run ${cell.runId} is on the server`,
    );
  }
  assert.equal(runs.length, 4, 'one run per cell in the server store');
  const byAgent = agents.map((agent) => (agent.output().match(/: succeeded as run/g) ?? []).length);
  assert.equal(byAgent[0]! + byAgent[1]!, 4, `every job logged once: ${byAgent.join(' + ')}`);

  for (const agent of agents) agent.kill('SIGTERM');
  for (const agent of agents) assert.equal((await exitOf(agent)).code, 0, agent.output());
});

test('an agent killed mid-job: its lease expires, another agent runs the cell again, and it is recorded once', {
  timeout: 200_000,
}, async (t) => {
  const fleet = await fleetFixture(t, { leaseMarginS: 20 });
  if (!fleet) return;
  await fleet.startServer();
  const first = fleet.startAgent('a');
  const file = embeddedCampaign(tempHome(t), await ensureTestModel(), {
    name: 'fleet-kill',
    engines: ['{ name: embedded, parallel: 1 }'],
    loads: ['{ load: constant-rate, rate: 2, duration: 6s, promptTokens: 16, outputTokens: 8 }'],
  });
  const submit = fleet.kitt(['campaign', 'run', file, '--server', fleet.url]);
  assert.ok(await waitUntil(() => /leased to/.test(fleet.server.output()), 60_000), fleet.server.output());
  assert.ok(
    (await waitUntil(
      () => /constant-rate|warmup|load/.test(fleet.server.output().split('leased to')[1] ?? ''),
      5_000,
    )) || true,
  );
  await new Promise((resolve) => setTimeout(resolve, 4_000));
  first.kill('SIGKILL');
  await exitOf(first);
  const second = fleet.startAgent('b');
  const exit = await exitOf(submit);
  assert.equal(exit.code, 0, `${submit.output()}\n--- server\n${fleet.server.output()}\n--- b\n${second.output()}`);
  assert.match(second.output(), /attempt 2: succeeded/);

  const { cells, runs } = await recorded(fleet.storeUrl);
  assert.equal(cells[0]!.state, 'succeeded');
  assert.equal(cells[0]!.attempts, 2, 'the killed attempt and the rerun');
  assert.equal(runs.length, 1, 'only the rerun reached the server');
  assert.equal(runs[0]!.id, cells[0]!.runId);
  second.kill('SIGTERM');
  assert.equal((await exitOf(second)).code, 0, second.output());
});
