import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { queueSchemaOf } from '../server/fleet/start-fleet.js';
import { openStore } from '../store/open-store.js';
import { cleanEnv, exitOf, kittSync, tempHome } from './kitt-cli.js';
import { waitUntil } from './kitt-session.js';
import { postgresTestSchema, TEST_PG_URL } from './test-postgres.js';

const KITT_ENTRY = resolve(import.meta.dirname, '..', 'cli', 'entry.ts');
const AGENT_ENTRY = resolve(import.meta.dirname, '..', 'cli', 'agent-entry.ts');

export type Spawned = ChildProcess & { output: () => string };

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
    if (process.env.KITT_FLEET_DEBUG) process.stderr.write(`--- ${args.slice(0, 2).join(' ')}\n${output}\n`);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exitOf(child);
    }
  });
  return Object.assign(child, { output: () => output });
}

/** A kitt server on a fresh PostgreSQL schema, with a write token for its agents. */
export interface FleetFixture {
  readonly storeUrl: string;
  readonly token: string;
  readonly serverHome: string;
  url: string;
  server: Spawned;
  /** Every server's output so far, the ones stopped included. */
  serverOutput(): string;
  /** Starts a server; with no port, on the port of the last one (or a free one the first time). */
  startServer(port?: number): Promise<void>;
  /** Stops the server with this signal and waits for it to exit. */
  stopServer(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  startAgent(name: string, extra?: readonly string[]): Spawned;
  /** The pending-results folder of an agent's home. */
  pendingDirOf(name: string): string;
  kitt(args: readonly string[], env?: Record<string, string>): Spawned;
}

export async function fleetFixture(
  t: TestContext,
  options: { leaseMarginS: number; serverArgs?: readonly string[] },
): Promise<FleetFixture | undefined> {
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
  const stopped: string[] = [];
  const homeOf = (name: string) => {
    if (!homes.has(name)) homes.set(name, tempHome(t, `kitt-agent-${name}-`));
    return homes.get(name)!;
  };
  const fixture: FleetFixture = {
    storeUrl,
    token,
    serverHome,
    url: '',
    server: undefined as unknown as Spawned,
    serverOutput: () => [...stopped, fixture.server?.output() ?? ''].join('--- server restarted\n'),
    async startServer(port) {
      const chosen = port ?? (fixture.url ? Number(new URL(fixture.url).port) : 0);
      const args = ['server', '--port', String(chosen), '--store', storeUrl];
      const server = spawnEntry(
        t,
        KITT_ENTRY,
        [...args, '--lease-margin', String(options.leaseMarginS), ...(options.serverArgs ?? [])],
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
    async stopServer(signal) {
      fixture.server.kill(signal);
      const exit = await exitOf(fixture.server);
      stopped.push(fixture.server.output());
      return exit;
    },
    startAgent(name, extra = []) {
      return spawnEntry(t, AGENT_ENTRY, ['run', '--server', fixture.url, '--poll-wait', '2', ...extra], {
        KITT_HOME: homeOf(name),
        KITT_SERVER_TOKEN: token,
      });
    },
    pendingDirOf: (name) => join(homeOf(name), 'agent', 'pending'),
    kitt(args, env = {}) {
      return spawnEntry(t, KITT_ENTRY, args, { KITT_HOME: serverHome, KITT_SERVER_TOKEN: token, ...env });
    },
  };
  return fixture;
}

/** A campaign of embedded cells over the test model: engines × loads, each load a few short requests. */
export function embeddedCampaign(
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

export const SHORT_LOAD =
  '{ load: fixed-concurrency, concurrency: 2, requests: 4, warmup: 1, promptTokens: 16, outputTokens: 16 }';
export const SECOND_LOAD =
  '{ load: fixed-concurrency, concurrency: 1, requests: 3, promptTokens: 16, outputTokens: 8 }';

/** The campaign's cells and the runs in the server's store. */
export async function recorded(storeUrl: string) {
  await using store = await openStore(storeUrl);
  const [campaign] = await store.listCampaigns();
  assert.ok(campaign, 'the campaign is recorded');
  return { cells: await store.listCampaignCells(campaign.id), runs: await store.listRuns({ limit: 100 }) };
}
