import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { openStore } from './open-store.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

test('a closed SQLite store survives garbage collection (better-sqlite3 destructors abort Node 24 otherwise)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-gc-'));
  for (let round = 0; round < 3; round++) {
    const store = await openStore(join(dir, 'kitt.db'));
    await store.recordRunStarted({ id: `run-${round}`, engine: 'embedded', mode: 'embedded', model: 'tiny' });
    await store.recordRunFinished(`run-${round}`, { status: 'succeeded' });
    assert.equal((await store.listRuns()).length, round + 1);
    await store.close();
  }
  for (let i = 0; i < 5; i++) {
    collectGarbage();
    await new Promise((resolve) => setImmediate(resolve));
  }
  // reaching this line is the assertion: an aborting destructor kills the process before it
  assert.ok(true);
});
