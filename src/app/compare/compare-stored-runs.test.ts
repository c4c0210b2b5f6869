import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../store/open-store.js';
import { tempHome } from '../../testing/kitt-cli.js';
import { compareStoredRuns } from './compare-stored-runs.js';

const REQUEST = { alpha: 0.05, noise: 0.02 } as const;

test('a series with no completed repeat, and a single name, are usage errors naming the fix', async (t) => {
  await using store = await openStore(join(tempHome(t), 'kitt.db'));
  const group = '20261201T100000000Z-111111';
  for (const [index, id] of ['20261201T100000100Z-aaaaaa', '20261201T100000200Z-bbbbbb'].entries()) {
    await store.recordRunStarted({
      id,
      engine: 'exact',
      mode: 'host',
      model: 'm',
      config: { repeat: { group, index: index + 1, of: 2 } },
    });
    await store.recordRunFinished(id, { status: 'interrupted' });
  }
  await store.recordRunStarted({ id: '20261201T120000000Z-ffffff', engine: 'exact', mode: 'host', model: 'm' });
  await assert.rejects(
    compareStoredRuns(store, { ...REQUEST, names: [group, '20261201T12'] }),
    /series 20261201T100000000Z-111111 has no completed repeat \(2 stored, none succeeded\)/,
  );
  await assert.rejects(compareStoredRuns(store, { ...REQUEST, names: [group] }), /at least two runs/);
});
