import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../store/open-store.js';
import { freePort, waitFor } from '../../testing/free-port.js';
import { exitOf, kittSpawn, tempHome } from '../../testing/kitt-cli.js';

test('kitt web lists the runs of the store with their headline figures, and stops on SIGINT', async (t) => {
  const home = tempHome(t);
  {
    await using store = await openStore(join(home, 'kitt.db'));
    await store.recordRunStarted({ id: 'run-a', engine: 'llamacpp', mode: 'docker', model: 'tiny' });
    await store.recordRunFinished('run-a', {
      status: 'succeeded',
      metrics: {
        metrics: {
          throughput: { requestsPerS: 4.5, outputTokensPerS: 288 },
          ttftMs: { p50: 38 },
          tpotMs: { p50: 10.5 },
        },
      },
    });
  }
  const port = await freePort();
  const web = kittSpawn(t, ['web', '--port', String(port)], { KITT_HOME: home });
  const body = await waitFor(
    async () => {
      const response = await fetch(`http://127.0.0.1:${port}/api/runs`).catch(() => undefined);
      return response?.ok ? ((await response.json()) as { runs: Array<Record<string, unknown>> }) : undefined;
    },
    { timeoutMs: 30_000, what: 'kitt web to answer /api/runs' },
  );
  assert.equal(body.runs.length, 1);
  assert.deepEqual(
    {
      id: body.runs[0]!.id,
      status: body.runs[0]!.status,
      rps: body.runs[0]!.requestsPerS,
      ttft: body.runs[0]!.ttftP50Ms,
    },
    { id: 'run-a', status: 'succeeded', rps: 4.5, ttft: 38 },
  );
  const page = await (await fetch(`http://127.0.0.1:${port}/`)).text();
  assert.match(page, /run-a/);
  web.kill('SIGINT');
  assert.equal((await exitOf(web)).code, 0, 'a server asked to stop ends cleanly');
});
