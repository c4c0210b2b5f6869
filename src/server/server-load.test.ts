import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../store/open-store.js';
import { freePort, waitFor } from '../testing/free-port.js';
import { exitOf, kittSpawn, tempHome } from '../testing/kitt-cli.js';
import { seedRuns } from '../testing/seed-runs.js';

const CONNECTIONS = 500;

/** The server process's resident and peak resident memory, from the kernel (Linux). */
function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
}

function send(agent: Agent, port: number, path: string, body?: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        agent,
        method: body ? 'POST' : 'GET',
        headers: body ? { 'content-type': 'application/json' } : {},
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    // a server that closes a connection early (an oversized body) is an answer too
    req.on('error', () => resolve(-1));
    req.end(body);
  });
}

test(`${CONNECTIONS} concurrent connections, traversal and oversized bodies leave kitt server up, its memory bounded`, async (t) => {
  if (process.platform !== 'linux') return t.skip('reads /proc');
  const home = tempHome(t);
  {
    await using store = await openStore(join(home, 'kitt.db'));
    await seedRuns(store, join(home, 'results'));
  }
  const port = await freePort();
  const server = kittSpawn(t, ['server', '--port', String(port)], { KITT_HOME: home });
  await waitFor(
    async () => ((await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.ok ? true : undefined),
    {
      timeoutMs: 30_000,
      what: 'kitt server to answer /health',
    },
  );
  // one connection per request: 500 at once each round (a reused keep-alive socket can race the
  // server's idle timeout, a client-side reset that says nothing of the server)
  const agent = new Agent({ keepAlive: false, maxSockets: CONNECTIONS });
  // oversized bodies and the connections left open at the stop go on kept-alive sockets
  const kept = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  t.after(() => {
    agent.destroy();
    kept.destroy();
  });
  // warm: routes compiled, store statements prepared
  for (let i = 0; i < 20; i++) await send(agent, port, '/api/v1/runs?limit=5');
  const before = memoryOf(server.pid!);

  const oversized = Buffer.alloc(1024 * 1024, 'x');
  const statuses: number[] = [];
  for (let round = 0; round < 4; round++) {
    const batch = Array.from({ length: CONNECTIONS }, (_, i) =>
      i % 50 === 0
        ? send(kept, port, '/api/v1/tokens', oversized)
        : i % 10 === 0
          ? send(agent, port, '/..%2f..%2fetc/passwd')
          : send(
              agent,
              port,
              i % 2 ? '/api/v1/runs?limit=50' : `/api/v1/runs/20260101T000100000Z-run1/requests?limit=5`,
            ),
    );
    statuses.push(...(await Promise.all(batch)));
  }
  const after = memoryOf(server.pid!);
  const count = (status: number) => statuses.filter((s) => s === status).length;
  t.diagnostic(JSON.stringify(Object.fromEntries([...new Set(statuses)].map((s) => [s, count(s)]))));
  assert.equal(count(200), 4 * (CONNECTIONS - CONNECTIONS / 10), 'every read answered');
  assert.equal(count(404), 4 * (CONNECTIONS / 10 - CONNECTIONS / 50), 'every traversal a 404');
  // a client still writing its body when the 413 and the close arrive may see a reset instead
  assert.equal(count(413) + count(-1), 4 * (CONNECTIONS / 50), 'every oversized body refused');
  assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200, 'still up');
  const grown = after.peakMiB - before.rssMiB;
  t.diagnostic(
    `server RSS ${before.rssMiB.toFixed(0)} MiB before, peak ${after.peakMiB.toFixed(0)} MiB under ${CONNECTIONS} connections (+${grown.toFixed(0)} MiB), ${after.rssMiB.toFixed(0)} MiB after`,
  );
  assert.ok(grown < 200, `the server grew ${grown.toFixed(0)} MiB under ${CONNECTIONS} connections`);
  // connections a client keeps open must not hold up the stop
  await Promise.all(Array.from({ length: CONNECTIONS }, () => send(kept, port, '/health')));
  server.kill('SIGINT');
  assert.equal((await exitOf(server)).code, 0, server.output());
});
