import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  embeddedCampaign,
  type FleetFixture,
  fleetFixture,
  recorded,
  SECOND_LOAD,
  type Spawned,
} from '../../testing/fleet-fixture.js';
import { exitOf, tempHome } from '../../testing/kitt-cli.js';
import { waitUntil } from '../../testing/kitt-session.js';
import { ensureTestModel } from '../../testing/test-model.js';

/** A load of a few seconds: long enough for the server to be stopped while it runs. */
const FEW_SECONDS_LOAD = '{ load: constant-rate, rate: 2, duration: 4s, promptTokens: 16, outputTokens: 8 }';

const leasesIn = (output: string) => (output.match(/leased to/g) ?? []).length;

function outputs(fleet: FleetFixture, submit: Spawned, agents: readonly Spawned[]): string {
  return `${submit.output()}\n--- server\n${fleet.serverOutput()}\n${agents.map((a) => `--- agent\n${a.output()}`).join('\n')}`;
}

/** A server, one agent, and a one-engine campaign of `loads` submitted to it and followed. */
async function oneAgentCampaign(t: TestContext, name: string, loads: readonly string[]) {
  const fleet = await fleetFixture(t, { leaseMarginS: 30 });
  if (!fleet) return undefined;
  await fleet.startServer();
  const agent = fleet.startAgent('a');
  const file = embeddedCampaign(tempHome(t), await ensureTestModel(), {
    name,
    engines: ['{ name: embedded, parallel: 1 }'],
    loads: [...loads],
  });
  const submit = fleet.kitt(['campaign', 'run', file, '--server', fleet.url]);
  return { fleet, agent, submit };
}

async function stopAgents(agents: readonly Spawned[]): Promise<void> {
  for (const agent of agents) agent.kill('SIGTERM');
  for (const agent of agents) assert.equal((await exitOf(agent)).code, 0, agent.output());
}

test('a cell that fails every attempt ends dead with its error after its retries, and the other cell still runs', {
  timeout: 120_000,
}, async (t) => {
  const fleet = await fleetFixture(t, {
    leaseMarginS: 20,
    serverArgs: ['--cell-retries', '1', '--cell-retry-delay', '1'],
  });
  if (!fleet) return;
  await fleet.startServer();
  const agent = fleet.startAgent('a');
  const file = embeddedCampaign(tempHome(t), await ensureTestModel(), {
    name: 'fleet-dead',
    // the embedded server refuses a flag it does not know and exits at once: a failure every time
    engines: ['{ name: embedded, parallel: 1 }', '{ name: embedded, args: [--no-such-flag] }'],
    loads: [SECOND_LOAD],
  });
  const submit = fleet.kitt(['campaign', 'run', file, '--server', fleet.url]);
  const exit = await exitOf(submit);
  assert.notEqual(exit.code, 0, outputs(fleet, submit, [agent]));
  assert.match(submit.output(), /1 of 2 cells are dead; cell \S+: .*--no-such-flag/, outputs(fleet, submit, [agent]));

  const { cells, runs } = await recorded(fleet.storeUrl);
  const dead = cells.find((cell) => cell.state === 'dead');
  const alive = cells.find((cell) => cell.state === 'succeeded');
  assert.ok(dead && alive, `one cell dead, one succeeded: ${cells.map((cell) => cell.state).join(', ')}`);
  assert.equal(dead.attempts, 2, 'the first attempt and its one retry');
  assert.match(dead.error ?? '', /--no-such-flag/);
  assert.equal(alive.attempts, 1);
  assert.ok(runs.some((run) => run.id === alive.runId && run.status === 'succeeded'));
  assert.equal(
    (agent.output().match(/: failed as run/g) ?? []).length,
    2,
    `the failing cell ran twice: ${agent.output()}`,
  );
  assert.match(agent.output(), /attempt 2: failed .*dead-lettered/);

  const api = await fetch(`${fleet.url}/api/v1/campaigns/${dead.campaignId}`, {
    headers: { authorization: `Bearer ${fleet.token}` },
  });
  const status = (await api.json()) as {
    finished: boolean;
    cells: { cellId: string; state: string; error?: string }[];
  };
  assert.equal(status.finished, true);
  const deadInApi = status.cells.find((cell) => cell.cellId === dead.cellId);
  assert.equal(deadInApi?.state, 'dead');
  assert.match(deadInApi?.error ?? '', /--no-such-flag/);

  const config = join(tempHome(t), 'config.yaml');
  writeFileSync(config, `store:\n  url: ${fleet.storeUrl}\n`);
  const shown = fleet.kitt(['campaign', 'status', 'fleet-dead', '--config', config]);
  assert.equal((await exitOf(shown)).code, 0, shown.output());
  assert.match(shown.output(), /1 succeeded, 1 dead/);
  assert.match(shown.output(), new RegExp(`\\(${dead.cellId}\\) dead: .*--no-such-flag`));
  await stopAgents([agent]);
});

test('the server stopped mid-campaign (SIGTERM, then SIGKILL) and started again: the agent goes on, each cell recorded once', {
  timeout: 150_000,
}, async (t) => {
  const started = await oneAgentCampaign(t, 'fleet-restart', [
    FEW_SECONDS_LOAD,
    SECOND_LOAD.replace('requests: 3', 'requests: 6'),
  ]);
  if (!started) return;
  const { fleet, agent, submit } = started;
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    assert.ok(await waitUntil(() => leasesIn(fleet.server.output()) >= 1, 60_000), outputs(fleet, submit, [agent]));
    // the agent has its engine up and its load running when the server goes
    await sleep(1_500);
    const stopped = await fleet.stopServer(signal);
    // SIGTERM is a clean stop with a job leased out and a campaign followed; SIGKILL is no stop at all
    if (signal === 'SIGTERM') assert.equal(stopped.code, 0, fleet.serverOutput());
    await fleet.startServer();
  }
  const exit = await exitOf(submit);
  assert.equal(exit.code, 0, outputs(fleet, submit, [agent]));
  assert.match(submit.output(), /2 cells, 2 succeeded/);

  const { cells, runs } = await recorded(fleet.storeUrl);
  for (const cell of cells) {
    assert.equal(cell.state, 'succeeded');
    assert.equal(cell.attempts, 1, `cell ${cell.cellId} ran once`);
    assert.ok(
      runs.some((run) => run.id === cell.runId && run.status === 'succeeded'),
      `run ${cell.runId} pushed`,
    );
  }
  assert.equal(runs.length, 2, 'one run per cell on the server');
  assert.equal((agent.output().match(/: succeeded as run/g) ?? []).length, 2, agent.output());
  assert.equal(agent.exitCode, null, 'the agent outlived both stops');
  await stopAgents([agent]);
});

test('the server is down when the agent finishes: the result waits on disk and is recorded once the server is back', {
  timeout: 120_000,
}, async (t) => {
  const started = await oneAgentCampaign(t, 'fleet-offline', [FEW_SECONDS_LOAD]);
  if (!started) return;
  const { fleet, agent, submit } = started;
  assert.ok(await waitUntil(() => leasesIn(fleet.server.output()) >= 1, 60_000), outputs(fleet, submit, [agent]));
  await fleet.stopServer('SIGKILL');
  assert.ok(
    await waitUntil(() => /kept locally until kitt server answers/.test(agent.output()), 60_000),
    outputs(fleet, submit, [agent]),
  );
  const pending = readdirSync(fleet.pendingDirOf('a')).filter((name) => name.endsWith('.json'));
  assert.equal(pending.length, 1, 'the finished attempt is kept on disk');
  // the agent waits for the server: it neither exits nor drops what it holds
  await sleep(2_000);
  assert.equal(agent.exitCode, null, agent.output());
  await fleet.startServer();
  const exit = await exitOf(submit);
  assert.equal(exit.code, 0, outputs(fleet, submit, [agent]));
  assert.match(submit.output(), /1 cells, 1 succeeded/);
  assert.ok(
    await waitUntil(() => readdirSync(fleet.pendingDirOf('a')).length === 0, 10_000),
    'the pending result is removed once acknowledged',
  );

  const { cells, runs } = await recorded(fleet.storeUrl);
  assert.equal(cells[0]!.state, 'succeeded');
  assert.equal(cells[0]!.attempts, 1);
  assert.equal(runs.length, 1);
  assert.equal(runs[0]!.id, cells[0]!.runId);
  assert.match(agent.output(), /attempt 1: succeeded, kept until now; pushed \(created, \d+ files\), recorded/);
  await stopAgents([agent]);
});
