import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { listRuns, toRunListing } from '../app/shared/run-listing.js';
import { DEFAULT_CONFIG } from '../config/config-schema.js';
import { openStore } from '../store/open-store.js';
import { serveWeb } from './serve-web.js';

test('the web server wires its own store and serves the same listing kitt results reads', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'kitt-web-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  {
    await using store = await openStore(join(home, 'kitt.db'));
    await store.recordRunStarted({ id: 'run-b', engine: 'embedded', mode: 'embedded', model: 'tiny' });
    await store.recordRunFinished('run-b', {
      status: 'interrupted',
      metrics: { metrics: { throughput: { requestsPerS: 2, outputTokensPerS: 30 }, ttftMs: { p50: 12 } } },
    });
  }
  const server = await serveWeb({ config: DEFAULT_CONFIG, home, host: '127.0.0.1', port: 0, version: 't' });
  const body = (await (await fetch(`${server.url}/api/runs`)).json()) as { runs: unknown[] };
  await using store = await openStore(join(home, 'kitt.db'));
  assert.deepEqual(body.runs, JSON.parse(JSON.stringify((await listRuns(store)).map(toRunListing))));
  assert.equal((body.runs[0] as { status: string }).status, 'interrupted');
  await server.close();
  await server.close();
  await assert.rejects(fetch(`${server.url}/health`), 'closed');
});
