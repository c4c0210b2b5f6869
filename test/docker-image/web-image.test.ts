import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { skipUnlessDocker } from '../../src/testing/docker-gate.js';
import { freePort } from '../../src/testing/free-port.js';
import { docker, KITT_WEB_IMAGE, PACKAGE_VERSION, skipUnlessImage } from './kitt-image.js';

test('the web image starts and answers /health on its port', async (t) => {
  if ((await skipUnlessDocker(t)) || (await skipUnlessImage(t, KITT_WEB_IMAGE))) return;
  const port = await freePort();
  const name = `kitt-web-test-${port}`;
  const started = await docker([
    'run',
    '-d',
    '--rm',
    '--name',
    name,
    '--label',
    'kitt.test=web-image',
    '--network',
    'host',
    KITT_WEB_IMAGE,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
  ]);
  assert.equal(started.code, 0, started.stderr);
  try {
    let body: { status?: string; version?: string } | undefined;
    for (let attempt = 0; attempt < 50 && !body; attempt += 1) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/health`);
        if (res.ok) body = (await res.json()) as typeof body;
      } catch {
        await sleep(200);
      }
    }
    assert.deepEqual(body, { status: 'ok', version: PACKAGE_VERSION });
    // loopback and no token created: reads are open (docs/server.md)
    const runs = await fetch(`http://127.0.0.1:${port}/api/v1/runs`);
    assert.deepEqual(await runs.json(), { runs: [], nextCursor: null });
  } finally {
    await docker(['rm', '-f', name]);
  }
});
