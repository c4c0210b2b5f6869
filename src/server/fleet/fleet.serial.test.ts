import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type TestContext, test } from 'node:test';
import pg from 'pg';
import { openStore } from '../../store/open-store.js';
import { cleanEnv, exitOf, kittSync, tempHome } from '../../testing/kitt-cli.js';
import { waitUntil } from '../../testing/kitt-session.js';
import { ensureTestModel } from '../../testing/test-model.js';
import { postgresTestSchema, TEST_PG_URL } from '../../testing/test-postgres.js';
import { queueSchemaOf } from './start-fleet.js';

const KITT_ENTRY = resolve(import.meta.dirname, '..', '..', 'cli', 'entry.ts');
const AGENT_ENTRY = resolve(import.meta.dirname, '..', '..', 'cli', 'agent-entry.ts');

type Spawned = ChildProcess & { output: () => string };

function spawnEntry(t: TestContext, entry: string, args: readonly string[], env: Record<string, string>): Spawned {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), entry, ...args], {
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    output += chunk;
  });
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exitOf(child);
    }
  });
  return Object.assign(child, { output: () => output });
}

/** A kitt server on a fresh PostgreSQL schema, with a write token for its agents. */
interface FleetFixture {
  readonly storeUrl: string;
  readonly token: string;
  readonly serverHome: string;
  url: string;
  server: Spawned;
  startServer(port?: number): Promise<void>;
  startAgent(name: string, extra?: readonly string[]): Spawned;
  kitt(args: readonly string[]): Spawned;
}

async function fleetFixture(t: TestContext, options: { leaseMarginS: number }): Promise<FleetFixture | undefined> {
  const schema = await postgresTestSchema(t);
  if (!schema) return undefined;
  const storeUrl = schema.url.toString();
  // the schema's own hook closes its admin client first: the queue's schema is dropped over another
  t.after(async () => {
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${queueSchemaOf(storeUrl)} CASCADE`).finally(() => admin.end());
  });
  const serverHome = tempHome(t, 'kitt-fleet-server-');
  const created = kittSync(['server', '--store', storeUrl, 'token', 'create', '--name', 'fleet', '--scope', 'write'], {
    KITT_HOME: serverHome,
  });
  if (created.code !== 0) throw new Error(created.stderr);
  const token = created.stdout.trim();
  const homes = new Map<string, string>();
  t.after(() => {
    if (process.env.KITT_FLEET_DEBUG) process.stderr.write(`--- server\n${fixture.server?.output()}\n`);
  });
  const fixture: FleetFixture = {
    storeUrl,
    token,
    serverHome,
    url: '',
    server: undefined as unknown as Spawned,
    async startServer(port = 0) {
      const server = spawnEntry(
        t,
        KITT_ENTRY,
        ['server', '--port', String(port), '--store', storeUrl, '--lease-margin', String(options.leaseMarginS)],
        { KITT_HOME: serverHome },
      );
      const listening = () => /listening on (http:\/\/\S+) /.exec(server.output())?.[1];
      if (!(await waitUntil(() => listening() !== undefined || server.exitCode !== null, 60_000))) {
        throw new Error(`kitt server did not start: ${server.output()}`);
      }
      if (!listening()) throw new Error(`kitt server exited: ${server.output()}`);
      fixture.server = server;
      fixture.url = listening()!;
    },
    startAgent(name, extra = []) {
      if (!homes.has(name)) homes.set(name, tempHome(t, `kitt-agent-${name}-`));
      return spawnEntry(t, AGENT_ENTRY, ['run', '--server', fixture.url, '--poll-wait', '2', ...extra], {
        KITT_HOME: homes.get(name)!,
        KITT_SERVER_TOKEN: token,
      });
    },
    kitt(args) {
      return spawnEntry(t, KITT_ENTRY, args, { KITT_HOME: serverHome, KITT_SERVER_TOKEN: token });
    },
  };
  return fixture;
}

/** A campaign of embedded cells over the test model: engines × loads, each load a few short requests. */
function embeddedCampaign(
  dir: string,
  model: string,
  options: { name: string; engines: readonly string[]; loads: readonly string[] },
): string {
  const path = join(dir, `${options.name}.yaml`);
  writeFileSync(
    path,
    `name: ${options.name}
matrix:
  models: [${model}]
  engines:
${options.engines.map((engine) => `    - ${engine}`).join('\n')}
  loads:
${options.loads.map((load) => `    - ${load}`).join('\n')}
`,
  );
  return path;
}

const SHORT_LOAD =
  '{ load: fixed-concurrency, concurrency: 2, requests: 4, warmup: 1, promptTokens: 16, outputTokens: 16 }';
const SECOND_LOAD = '{ load: fixed-concurrency, concurrency: 1, requests: 3, promptTokens: 16, outputTokens: 8 }';

async function recorded(storeUrl: string) {
  await using store = await openStore(storeUrl);
  const [campaign] = await store.listCampaigns();
  assert.ok(campaign, 'the campaign is recorded');
  return { cells: await store.listCampaignCells(campaign.id), runs: await store.listRuns({ limit: 100 }) };
}

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
