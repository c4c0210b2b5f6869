import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { DEFAULT_CONFIG } from '../config/config-schema.js';
import { openStore } from '../store/open-store.js';
import { HOST_A, HOST_B, seedRuns } from '../testing/seed-runs.js';
import { postgresStoreUrl } from '../testing/test-postgres.js';
import { createApiToken } from './auth/api-tokens.js';
import { serveKitt } from './serve-kitt.js';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-server-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field, as a client would
type Json = Record<string, any>;

/** The same suite on both stores: the API must not care which database holds the runs. */
const STORES: Array<{ name: string; url: (t: TestContext, home: string) => Promise<string | undefined> }> = [
  { name: 'SQLite', url: async (_t, home) => join(home, 'kitt.db') },
  { name: 'PostgreSQL', url: (t) => postgresStoreUrl(t) },
];

for (const kind of STORES) {
  test(`the API serves runs, requests, artifacts, calibrations and hosts from ${kind.name}`, async (t) => {
    const home = tempDir(t);
    const url = await kind.url(t, home);
    if (!url) return;
    const seeded = await (async () => {
      await using store = await openStore(url);
      const runs = await seedRuns(store, join(home, 'results'));
      await store.recordCalibration({
        runId: runs[0]!.id,
        engine: 'llamacpp',
        limitsKey: '1cpu-2GiB',
        rateValue: 3.5,
        unit: 'req/s',
        createdAt: new Date('2026-01-02T00:00:00Z'),
      });
      await store.recordCalibration({
        engine: 'llamacpp',
        limitsKey: '1cpu-2GiB',
        rateValue: 3.9,
        unit: 'req/s',
        createdAt: new Date('2026-01-03T00:00:00Z'),
      });
      await store.recordCalibration({
        engine: 'vllm',
        limitsKey: '2cpu-4GiB',
        rateValue: 7,
        unit: 'req/s',
        createdAt: new Date('2026-01-04T00:00:00Z'),
      });
      return runs;
    })();
    const logged: string[] = [];
    await using server = await serveKitt({
      config: DEFAULT_CONFIG,
      home,
      host: '127.0.0.1',
      port: 0,
      version: 't',
      storeUrl: url,
      log: (line) => logged.push(line),
    });
    const get = async (path: string) => {
      const response = await fetch(`${server.url}${path}`);
      const text = await response.text();
      return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) as Json };
    };
    const ids = (body: Json) => (body.runs as Json[]).map((run) => run.id as string);

    await t.test('lists the runs newest first with their headline figures', async () => {
      const { status, json } = await get('/api/v1/runs');
      assert.equal(status, 200);
      const body = json();
      assert.deepEqual(ids(body), seeded.map((run) => run.id).reverse());
      assert.equal(body.nextCursor, null);
      const first = body.runs.at(-1);
      assert.deepEqual(
        {
          status: first.status,
          host: first.host,
          rps: first.requestsPerS,
          ttft: first.ttftP50Ms,
          load: first.loadKind,
          levels: first.levels,
        },
        { status: 'succeeded', host: HOST_A, rps: 4.5, ttft: 12.3456, load: 'constant-rate', levels: '4/s' },
      );
      assert.match(body.runs[0].failureReason, /did not get ready/);
    });

    await t.test('filters by engine, model, host, status, load kind and time range', async () => {
      const pick = async (query: string) => ids((await get(`/api/v1/runs?${query}`)).json());
      const r = seeded.map((run) => run.id);
      assert.deepEqual(await pick('engine=vllm'), [r[3], r[2]]);
      assert.deepEqual(await pick('model=tiny.gguf&host=' + HOST_A), [r[1], r[0]]);
      assert.deepEqual(await pick(`host=${HOST_B}&status=succeeded`), [r[3], r[2]]);
      assert.deepEqual(await pick('loadKind=constant-rate'), [r[4], r[3], r[0]]);
      assert.deepEqual(await pick('from=2026-01-01T00:01:00Z&to=2026-01-01T00:03:00Z'), [r[2], r[1]]);
      assert.deepEqual(
        await pick('from=2026-01-01T01:01:00%2B01:00&to=2026-01-01T00:02:00Z'),
        [r[1]],
        'an offset is an instant like any other',
      );
      assert.deepEqual(await pick('status=failed'), [r[4]]);
    });

    await t.test('sorts and pages by cursor without skipping or repeating a run', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Json = (await get(`/api/v1/runs?sort=engine&limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json();
        seen.push(...ids(page));
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor);
      assert.equal(pages, 3);
      const expected = [...seeded]
        .sort((a, b) => a.engine.localeCompare(b.engine) || a.id.localeCompare(b.id))
        .map((run) => run.id);
      assert.deepEqual(seen, expected);
      const other = (await get('/api/v1/runs?sort=engine&limit=2')).json().nextCursor;
      const mismatched = await get(`/api/v1/runs?sort=-startedAt&cursor=${other}`);
      assert.equal(mismatched.status, 400);
      assert.match(mismatched.json().error.message, /sort=engine/);
    });

    await t.test('refuses invalid parameters with every problem in one error', async () => {
      const { status, json } = await get('/api/v1/runs?status=done&limit=9999&from=yesterday');
      assert.equal(status, 400);
      const { error } = json();
      assert.equal(error.code, 'VALIDATION');
      for (const field of ['status', 'limit', 'from']) assert.match(error.message, new RegExp(field));
      assert.ok(error.hint);
    });

    await t.test('shows one run whole, and 404 for a run it does not know', async () => {
      const id = seeded[1]!.id;
      const { status, json } = await get(`/api/v1/runs/${id}`);
      assert.equal(status, 200);
      const body = json();
      assert.equal(body.run.id, id);
      assert.deepEqual(body.run.load, { kind: 'sweep', of: 'fixed-concurrency', levels: [1, 2, 4] });
      assert.equal(body.metrics.throughput.requestsPerS, 5.5);
      assert.deepEqual(body.crossCheck, { outputTokens: { kitt: 80, engine: 80 } });
      assert.deepEqual(body.resources, { cpuPercent: { p50: 95 } });
      assert.deepEqual(body.warnings, ['a sweep of three levels']);
      assert.deepEqual(
        body.artifacts.map((a: Json) => a.name),
        ['report.html', 'requests.jsonl', 'requests.csv', 'stages.csv'],
      );
      const missing = await get('/api/v1/runs/no-such-run');
      assert.equal(missing.status, 404);
      assert.deepEqual(Object.keys(missing.json().error), ['code', 'message', 'hint']);
      assert.equal(missing.json().error.code, 'NOT_FOUND');
    });

    await t.test('pages the request records of requests.jsonl', async () => {
      const id = seeded[0]!.id;
      const offsets: Array<number | null> = [];
      const records: Json[] = [];
      let offset: number | null = 0;
      while (offset !== null) {
        const page: Json = (await get(`/api/v1/runs/${id}/requests?limit=2&offset=${offset}`)).json();
        records.push(...page.requests);
        offsets.push(page.nextOffset);
        offset = page.nextOffset;
      }
      assert.deepEqual(offsets, [2, 4, null]);
      assert.deepEqual(
        records.map((r) => r.id),
        [0, 1, 2, 3, 4],
      );
      assert.equal((await get(`/api/v1/runs/${seeded[4]!.id}/requests`)).status, 404, 'a run without records');
    });

    await t.test('serves the four artifacts of a run folder, and nothing else', async () => {
      const id = seeded[0]!.id;
      const report = await get(`/api/v1/runs/${id}/artifacts/report.html`);
      assert.equal(report.status, 200);
      assert.match(report.headers.get('content-type') ?? '', /text\/html/);
      assert.equal(report.headers.get('content-security-policy'), 'sandbox allow-scripts');
      assert.match(report.text, new RegExp(`report ${id}`));
      assert.match((await get(`/api/v1/runs/${id}/artifacts/stages.csv`)).text, /^stage,/);
      for (const name of ['metrics.json', 'summary.md', '..%2fmetrics.json', '.', '']) {
        const response = await get(`/api/v1/runs/${id}/artifacts/${name}`);
        assert.equal(response.status, 404, name);
      }
    });

    await t.test('lists calibrations by engine and limits, newest first', async () => {
      const all = (await get('/api/v1/calibrations')).json().calibrations as Json[];
      assert.deepEqual(
        all.map((c) => c.rate),
        [7, 3.9, 3.5],
      );
      const history = (await get('/api/v1/calibrations?engine=llamacpp&limits=1cpu-2GiB')).json()
        .calibrations as Json[];
      assert.deepEqual(
        history.map((c) => [c.rate, c.runId]),
        [
          [3.9, null],
          [3.5, seeded[0]!.id],
        ],
      );
    });

    await t.test('lists hosts with their runs', async () => {
      const hosts = (await get('/api/v1/hosts')).json().hosts as Json[];
      assert.deepEqual(
        hosts.map((h) => [h.fingerprint, h.runs]),
        [
          [HOST_B, 3],
          [HOST_A, 2],
        ],
      );
      assert.equal(hosts[0]!.firstRunAt, seeded[2]!.startedAt);
      assert.equal(hosts[0]!.lastRunAt, seeded[4]!.startedAt);
      assert.equal(hosts[0]!.hardware.cpu.model, 'cpu of b');
      assert.deepEqual(ids((await get(hosts[1]!.runsUrl)).json()), [seeded[1]!.id, seeded[0]!.id]);
    });

    await t.test('describes itself in an OpenAPI document built from the same schemas', async () => {
      const doc = (await get('/api/v1/openapi.json')).json();
      assert.equal(doc.openapi, '3.1.0');
      assert.deepEqual(Object.keys(doc.paths).sort(), [
        '/agents',
        '/agents/{id}/heartbeat',
        '/agents/{id}/next',
        '/calibrations',
        '/campaigns',
        '/campaigns/{id}',
        '/campaigns/{id}/cancel',
        '/compare',
        '/hosts',
        '/jobs/{jobId}/complete',
        '/jobs/{jobId}/fail',
        '/jobs/{jobId}/progress',
        '/live',
        '/runs',
        '/runs/{id}',
        '/runs/{id}/artifacts/{name}',
        '/runs/{id}/files/{name}',
        '/runs/{id}/live',
        '/runs/{id}/requests',
        '/tokens',
        '/tokens/{id}',
      ]);
      const status = doc.paths['/runs'].get.parameters.find((p: Json) => p.name === 'status');
      assert.ok(status.schema.enum.includes('engine-failed'));
    });
    await t.test('keeps its tokens in the same store: once one exists, reads need it', async () => {
      const created = await (async () => {
        await using store = await openStore(url);
        return await createApiToken(store, { name: 'team', scope: 'read' });
      })();
      assert.equal((await get('/api/v1/runs')).status, 401);
      const response = await fetch(`${server.url}/api/v1/runs?limit=1`, {
        headers: { authorization: `Bearer ${created.token}` },
      });
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as Json).runs.length, 1);
    });
    assert.deepEqual(logged, [], 'reads are not logged');
  });
}
