import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { postgresStoreUrl } from '../testing/test-postgres.js';
import { openStore } from './open-store.js';

async function storesUnderTest(t: TestContext): Promise<Array<{ name: string; url: string }>> {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-campaign-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pgUrl = await postgresStoreUrl(t);
  return [{ name: 'sqlite', url: join(dir, 'kitt.db') }, ...(pgUrl ? [{ name: 'postgres', url: pgUrl }] : [])];
}

const campaign = (cells: string[]) => ({
  id: 'grid-0123abcd',
  name: 'grid',
  contentHash: '0123abcd0123abcd',
  source: '/campaigns/grid.yaml',
  plan: { slos: ['ttft=500ms'] },
  folder: '/home/kitt/campaigns/grid-0123abcd',
  cells: cells.map((cellId, position) => ({
    cellId,
    position,
    content: { load: { rate: String(position) } },
    estimateS: 8,
  })),
});

test('campaign cells go pending → running → succeeded with the run of every attempt, on SQLite and PostgreSQL', async (t) => {
  for (const { name, url } of await storesUnderTest(t)) {
    await t.test(name, async () => {
      await using store = await openStore(url);
      await store.recordCampaign(campaign(['aaa', 'bbb']), new Date('2026-01-01T00:00:00Z'));
      assert.deepEqual(
        (await store.listCampaignCells('grid-0123abcd')).map((c) => [c.cellId, c.state, c.attempts]),
        [
          ['aaa', 'pending', 0],
          ['bbb', 'pending', 0],
        ],
      );
      await store.markCellRunning('grid-0123abcd', 'aaa', 'run-1');
      await store.markCellFinished('grid-0123abcd', 'aaa', { state: 'interrupted', error: 'interrupted by SIGINT' });
      await store.markCellRunning('grid-0123abcd', 'aaa', 'run-2');
      await store.markCellFinished('grid-0123abcd', 'aaa', { state: 'succeeded' });
      const [first] = await store.listCampaignCells('grid-0123abcd');
      assert.equal(first?.state, 'succeeded');
      assert.equal(first?.runId, 'run-2');
      assert.deepEqual(first?.runIds, ['run-1', 'run-2']);
      assert.equal(first?.attempts, 2);
      assert.equal(first?.error, undefined);
      assert.deepEqual(first?.content, { load: { rate: '0' } });
      // recorded again (a rerun, the file reordered): states kept, positions follow the file
      await store.recordCampaign(campaign(['bbb', 'aaa']), new Date('2026-01-02T00:00:00Z'));
      const again = await store.listCampaignCells('grid-0123abcd');
      assert.deepEqual(
        again.map((c) => [c.cellId, c.state]),
        [
          ['bbb', 'pending'],
          ['aaa', 'succeeded'],
        ],
      );
      const stored = await store.getCampaign('grid');
      assert.equal(stored?.id, 'grid-0123abcd');
      assert.equal(stored?.createdAt, '2026-01-01T00:00:00.000Z');
      assert.equal(stored?.updatedAt, '2026-01-02T00:00:00.000Z');
      assert.deepEqual(stored?.plan, { slos: ['ttft=500ms'] });
      assert.equal((await store.getCampaign('grid-0123abcd'))?.name, 'grid');
      assert.equal(await store.getCampaign('nothing'), undefined);
      assert.equal((await store.listCampaigns()).length, 1);
    });
  }
});

test('a fleet cell ends dead with its error, or cancelled, on SQLite and PostgreSQL', async (t) => {
  for (const { name, url } of await storesUnderTest(t)) {
    await t.test(name, async () => {
      await using store = await openStore(url);
      await store.recordCampaign(campaign(['aaa', 'bbb']));
      await store.markCellRunning('grid-0123abcd', 'aaa', 'run-1');
      await store.markCellFinished('grid-0123abcd', 'aaa', { state: 'dead', error: 'unknown argument --x' });
      await store.markCellFinished('grid-0123abcd', 'bbb', { state: 'cancelled' });
      assert.deepEqual(
        (await store.listCampaignCells('grid-0123abcd')).map((c) => [c.cellId, c.state, c.error ?? null]),
        [
          ['aaa', 'dead', 'unknown argument --x'],
          ['bbb', 'cancelled', null],
        ],
      );
    });
  }
});
