import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_CONFIG } from '../config/config-schema.js';
import { defaultStorePath } from '../store/open-store.js';
import { recordExactScheduleRun } from '../testing/record-exact-run.js';
import { serveKitt } from './serve-kitt.js';

// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field, as a client would
type Json = Record<string, any>;

test('GET /api/v1/compare answers what kitt compare says: ITL 10 ms vs 30 ms is slower, and bad names are a 400', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'kitt-server-compare-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const baseline = await recordExactScheduleRun(home, 10);
  const candidate = await recordExactScheduleRun(home, 30);
  const other = await recordExactScheduleRun(home, 10, 'other.gguf');
  await using server = await serveKitt({
    config: DEFAULT_CONFIG,
    home,
    host: '127.0.0.1',
    port: 0,
    version: 't',
    storeUrl: defaultStorePath(home),
    log: () => undefined,
  });
  const get = async (query: string) => {
    const response = await fetch(`${server.url}/api/v1/compare?${query}`);
    return { status: response.status, body: (await response.json()) as Json };
  };

  const { status, body } = await get(`runs=${baseline},${candidate}`);
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.baseline, baseline);
  const comparison = body.comparisons[0];
  assert.equal(comparison.unit, 'requests');
  const itl = comparison.latencies.find((l: Json) => l.metric === 'itl');
  assert.equal(itl?.verdict, 'slower', JSON.stringify(itl));
  assert.match(body.caveat ?? '', /not independent/);

  const refused = await get(`runs=${baseline},${other}`);
  assert.equal(refused.status, 400);
  assert.equal(refused.body.error.code, 'USAGE');
  assert.match(refused.body.error.message, /model/);
  assert.equal((await get(`runs=${baseline},${other}&force=true`)).status, 200);

  const one = await get(`runs=${baseline}`);
  assert.equal(one.status, 400);
  assert.equal(one.body.error.code, 'VALIDATION');
  assert.match(one.body.error.message, /at least two runs/);
  assert.equal((await get(`runs=${baseline},nosuchrun`)).status, 400);
});
