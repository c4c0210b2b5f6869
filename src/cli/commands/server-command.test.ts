import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../store/open-store.js';
import { freePort, waitFor } from '../../testing/free-port.js';
import { exitOf, kittSpawn, kittSync, tempHome } from '../../testing/kitt-cli.js';
import { postgresStoreUrl } from '../../testing/test-postgres.js';

test('kitt web (the alias of kitt server) serves the store runs on /api/v1, and stops on SIGINT', async (t) => {
  const home = tempHome(t);
  {
    await using store = await openStore(join(home, 'kitt.db'));
    await store.recordRunStarted({ id: 'run-a', engine: 'llamacpp', mode: 'docker', model: 'tiny' });
    await store.recordRunFinished('run-a', {
      status: 'succeeded',
      metrics: { metrics: { throughput: { requestsPerS: 4.5, outputTokensPerS: 288 }, ttftMs: { p50: 38 } } },
    });
  }
  const port = await freePort();
  const web = kittSpawn(t, ['web', '--port', String(port)], { KITT_HOME: home });
  const body = await waitFor(
    async () => {
      const response = await fetch(`http://127.0.0.1:${port}/api/v1/runs`).catch(() => undefined);
      return response?.ok ? ((await response.json()) as { runs: Array<Record<string, unknown>> }) : undefined;
    },
    { timeoutMs: 30_000, what: 'kitt web to answer /api/v1/runs' },
  );
  assert.deepEqual(
    body.runs.map((run) => [run.id, run.status, run.requestsPerS, run.ttftP50Ms]),
    [['run-a', 'succeeded', 4.5, 38]],
  );
  assert.match(
    web.output(),
    new RegExp(`kitt server listening on http://127\\.0\\.0\\.1:${port} \\(store .*kitt\\.db; reads open`),
  );
  web.kill('SIGINT');
  assert.equal((await exitOf(web)).code, 0, 'a server asked to stop ends cleanly');
});

test('kitt server token create prints the token once; list shows it without the secret; revoke ends it', (t) => {
  const home = tempHome(t);
  const created = kittSync(['server', 'token', 'create', '--name', 'ci', '--scope', 'write'], { KITT_HOME: home });
  assert.equal(created.code, 0, created.stderr);
  const token = created.stdout.trim();
  assert.match(token, /^kitt_[0-9a-f]{12}_[\w-]{43}$/);
  assert.match(created.stderr, /token ci \([0-9a-f]{12}, scope write\) created; it is shown this once/);
  const list = kittSync(['server', 'token', 'list'], { KITT_HOME: home });
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^name\s+id\s+scope/);
  assert.match(list.stdout, /ci\s+[0-9a-f]{12}\s+write/);
  assert.ok(!list.stdout.includes(token.slice(18)), 'the list never shows the secret');
  const again = kittSync(['server', 'token', 'create', '--name', 'ci'], { KITT_HOME: home });
  assert.equal(again.code, 2);
  assert.match(again.stderr, /a token named ci exists already/);
  const badScope = kittSync(['server', 'token', 'create', '--name', 'x', '--scope', 'root'], { KITT_HOME: home });
  assert.equal(badScope.code, 2);
  assert.match(badScope.stderr, /--scope root is not a scope \(use read, write or admin\)/);
  const revoked = kittSync(['server', 'token', 'revoke', 'ci'], { KITT_HOME: home });
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.match(revoked.stdout, /token ci \([0-9a-f]{12}\) revoked at 20\d\d-/);
  const json = JSON.parse(kittSync(['server', 'token', 'list', '--json'], { KITT_HOME: home }).stdout) as Array<{
    revokedAt: string | null;
  }>;
  assert.ok(json[0]!.revokedAt);
});

test('kitt server --host 0.0.0.0 with no token is refused in one line that names --host and the fix', (t) => {
  const home = tempHome(t);
  const result = kittSync(['server', '--host', '0.0.0.0', '--port', '0'], { KITT_HOME: home });
  assert.equal(result.code, 2);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, /--host 0\.0\.0\.0 serves other machines, and no API token exists.*kitt server token create/);
});

test('kitt server --store postgres://… serves a team store, and its tokens are made with the same --store', async (t) => {
  const url = await postgresStoreUrl(t);
  if (!url) return;
  const home = tempHome(t);
  {
    await using store = await openStore(url);
    await store.recordRunStarted({ id: 'team-run', engine: 'llamacpp', mode: 'docker', model: 'tiny' });
  }
  const created = kittSync(['server', 'token', 'create', '--name', 'team', '--store', url], { KITT_HOME: home });
  assert.equal(created.code, 0, created.stderr);
  const port = await freePort();
  const server = kittSpawn(t, ['server', '--port', String(port), '--store', url], { KITT_HOME: home });
  const headers = { authorization: `Bearer ${created.stdout.trim()}` };
  const body = await waitFor(
    async () => {
      const response = await fetch(`http://127.0.0.1:${port}/api/v1/runs`, { headers }).catch(() => undefined);
      return response?.ok ? ((await response.json()) as { runs: Array<{ id: string }> }) : undefined;
    },
    { timeoutMs: 30_000, what: 'kitt server to answer on the PostgreSQL store' },
  );
  assert.deepEqual(
    body.runs.map((run) => run.id),
    ['team-run'],
  );
  assert.match(server.output(), /store postgres:\/\/kitt:\*+@127\.0\.0\.1:5432\/kitt_test.*API tokens required/);
  assert.ok(!server.output().includes(':kitt@'), 'the password is not printed');
  server.kill('SIGINT');
  assert.equal((await exitOf(server)).code, 0);
});
