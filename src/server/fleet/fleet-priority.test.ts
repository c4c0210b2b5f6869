import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { DEFAULT_CONFIG } from '../../config/config-schema.js';
import { openStore } from '../../store/open-store.js';
import { postgresStoreUrl, TEST_PG_URL } from '../../testing/test-postgres.js';
import { CellQueue } from './cell-queue.js';
import { Fleet } from './fleet-service.js';
import { classOfCell } from './job-classes.js';
import { queueSchemaOf } from './start-fleet.js';

const campaign = (name: string, priority?: number) => `name: ${name}
${priority === undefined ? '' : `priority: ${priority}\n`}matrix:
  engines: [{ name: embedded }]
  loads: [{ load: fixed-concurrency, concurrency: 1, requests: 2 }]
`;

test("a campaign's priority orders its jobs on the queue: higher is leased first, whatever came first", async (t) => {
  const url = await postgresStoreUrl(t);
  if (!url) return;
  t.after(async () => {
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${queueSchemaOf(url)} CASCADE`).finally(() => admin.end());
  });
  await using store = await openStore(url);
  const queue = await CellQueue.open({ url, schema: queueSchemaOf(url), log: () => {} });
  t.after(() => queue.close());
  const fleet = new Fleet({ store, queue, config: DEFAULT_CONFIG, leaseMarginS: 60, log: () => {} });
  const source = '/campaigns/c.yaml';
  const low = await fleet.submitCampaign({ content: campaign('low', -5), source });
  const plain = await fleet.submitCampaign({ content: campaign('plain'), source });
  const high = await fleet.submitCampaign({ content: campaign('high', 7), source });
  assert.deepEqual(
    [low, plain, high].map((submitted) => submitted.plan.priority),
    [-5, 0, 7],
  );

  const classes = [classOfCell(high.plan.cells[0]!.content)];
  const leased: string[] = [];
  for (let job = await queue.fetchOne(classes); job; job = await queue.fetchOne(classes)) {
    leased.push(job.data.campaignId);
  }
  assert.deepEqual(leased, [high.plan.id, plain.plan.id, low.plan.id]);
});
