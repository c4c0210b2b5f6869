import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { PushError } from '../app/push/push-http.js';
import { pushRun } from '../app/push/push-run.js';
import { pushTargetFrom } from '../app/push/push-target.js';
import { DEFAULT_CONFIG } from '../config/config-schema.js';
import { openStore } from '../store/open-store.js';
import { freePort } from '../testing/free-port.js';
import { seedRuns } from '../testing/seed-runs.js';
import { postgresStoreUrl } from '../testing/test-postgres.js';
import { createApiToken } from './auth/api-tokens.js';
import { type ServeKittOptions, serveKitt } from './serve-kitt.js';

function tempDir(t: TestContext, what: string): string {
  const dir = mkdtempSync(join(tmpdir(), `kitt-upload-${what}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Every file under a folder, for the check that no token was written anywhere. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());
}

// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field, as a client would
type Json = Record<string, any>;

const FAST_RETRY = { attempts: 3, firstDelayMs: 20, maxDelayMs: 50 };
const CAP_BYTES = 1024 * 1024;

/** Both stores on the server side, as the API suite runs: the upload must not care which holds the runs. */
const STORES: Array<{ name: string; url: (t: TestContext, home: string) => Promise<string | undefined> }> = [
  { name: 'SQLite', url: async (_t, home) => join(home, 'kitt.db') },
  { name: 'PostgreSQL', url: (t) => postgresStoreUrl(t) },
];

for (const kind of STORES) {
  test(`a run pushed to kitt server on ${kind.name} is listed and served byte for byte, once however often it is pushed`, async (t) => {
    const serverHome = tempDir(t, 'server');
    const url = await kind.url(t, serverHome);
    if (!url) return;
    const tokens = await (async () => {
      await using store = await openStore(url);
      const write = await createApiToken(store, { name: 'lab-a', scope: 'write' });
      const read = await createApiToken(store, { name: 'viewer', scope: 'read' });
      return { write: write.token, read: read.token };
    })();
    const clientHome = tempDir(t, 'client');
    await using local = await openStore(join(clientHome, 'kitt.db'));
    const seeded = await seedRuns(local, join(clientHome, 'results'));
    const first = seeded[0]!.id;
    // a request log large enough to travel gzipped
    const lines = Array.from({ length: 4000 }, (_, n) => JSON.stringify({ id: n, ok: true, ttftMs: 10 + (n % 7) }));
    writeFileSync(join(clientHome, 'results', first, 'requests.jsonl'), `${lines.join('\n')}\n`);

    const logged: string[] = [];
    const dataDir = join(serverHome, 'data');
    const port = await freePort();
    const serverOptions: ServeKittOptions = {
      config: DEFAULT_CONFIG,
      home: serverHome,
      host: '127.0.0.1',
      port,
      version: 't',
      storeUrl: url,
      dataDir,
      maxUploadBytes: CAP_BYTES,
      log: (line) => logged.push(line),
    };
    const bodies: string[] = [];
    const call = async (path: string, init: RequestInit & { token?: string } = {}) => {
      const headers = new Headers(init.headers);
      if (init.token) headers.set('authorization', `Bearer ${init.token}`);
      const response = await fetch(`http://127.0.0.1:${port}${path}`, { ...init, headers });
      const text = await response.text();
      bodies.push(text);
      return { status: response.status, text, json: () => JSON.parse(text) as Json };
    };
    const target = pushTargetFrom(`http://127.0.0.1:${port}/`, { KITT_SERVER_TOKEN: tokens.write });

    await t.test('a push made while the server is down succeeds once it comes up', async () => {
      const retries: string[] = [];
      const pushing = pushRun(local, first, target, {
        retry: { attempts: 8, firstDelayMs: 100, maxDelayMs: 800 },
        onRetry: (line) => retries.push(line),
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const server = await serveKitt(serverOptions);
      t.after(() => server.close());
      const pushed = await pushing;
      assert.ok(retries.length >= 1, 'it retried while nothing listened');
      assert.match(retries[0]!, /ECONNREFUSED|connect/);
      assert.equal(pushed.outcome, 'created');
      assert.equal(pushed.files, 5, 'metrics.json, requests.jsonl, report.html, requests.csv, stages.csv');
      assert.equal(pushed.url, `http://127.0.0.1:${port}/runs/${first}`);
      const logSize = statSync(join(clientHome, 'results', first, 'requests.jsonl')).size;
      assert.ok(pushed.bytesSent < logSize / 2, `the log went gzipped: ${pushed.bytesSent} bytes for ${logSize}`);
    });

    await t.test('the server lists the pushed run and serves its files byte-identical', async () => {
      const list = await call('/api/v1/runs?limit=10', { token: tokens.read });
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.json().runs.map((run: { id: string }) => run.id),
        [first],
      );
      for (const name of ['report.html', 'requests.jsonl', 'requests.csv', 'stages.csv']) {
        const served = await call(`/api/v1/runs/${first}/artifacts/${name}`, { token: tokens.read });
        assert.equal(served.status, 200, name);
        assert.equal(served.text, readFileSync(join(clientHome, 'results', first, name), 'utf8'), name);
      }
      assert.equal(readFileSync(join(dataDir, 'runs', first, 'metrics.json'), 'utf8'), '{}');
      const detail = await call(`/api/v1/runs/${first}`, { token: tokens.read });
      assert.equal(detail.json().run.status, 'succeeded');
      assert.equal(detail.json().artifacts.length, 4);
      assert.ok(
        logged.some(
          (line) => line.includes(`write by token "lab-a"`) && line.includes(`PUT /api/v1/runs/${first} -> 201`),
        ),
        logged.join('\n'),
      );
      assert.ok(logged.some((line) => line.includes(`PUT /api/v1/runs/${first}/files/requests.jsonl -> 201`)));
    });

    await t.test('pushing again, or by a prefix of the id, leaves one run', async () => {
      const again = await pushRun(local, first, target, { retry: FAST_RETRY });
      assert.equal(again.outcome, 'replaced');
      const byPrefix = await pushRun(local, seeded[1]!.id.slice(0, 16), target, { retry: FAST_RETRY });
      assert.equal(byPrefix.id, seeded[1]!.id);
      assert.equal(byPrefix.outcome, 'created');
      const list = await call('/api/v1/runs?limit=10', { token: tokens.read });
      assert.deepEqual(
        list
          .json()
          .runs.map((run: { id: string }) => run.id)
          .sort(),
        [first, seeded[1]!.id].sort(),
      );
    });

    await t.test('a running state never replaces a finished one', async () => {
      const row = (await local.getRun(first))!;
      const { resultPath: _p, owner: _o, ...stale } = { ...row, status: 'running', finishedAt: undefined };
      const put = await call(`/api/v1/runs/${first}`, {
        method: 'PUT',
        token: tokens.write,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(stale),
      });
      assert.equal(put.status, 200);
      assert.equal(put.json().outcome, 'kept');
      assert.equal(put.json().status, 'succeeded');
    });

    await t.test('a read-scope token is refused with 403 naming the write scope; a wrong one with 401', async () => {
      const readOnly = pushTargetFrom(target.server, { KITT_SERVER_TOKEN: tokens.read });
      await assert.rejects(pushRun(local, seeded[2]!.id, readOnly, { retry: FAST_RETRY }), (error: PushError) => {
        assert.match(error.message, /refused PUT .*: 403 token viewer has the read scope; this needs write/);
        assert.match(error.hint!, /set KITT_SERVER_TOKEN to a token with the write scope/);
        assert.equal(error.unreachable, false);
        return true;
      });
      const wrong = pushTargetFrom(target.server, { OTHER: 'kitt_000000000000_nope' }, 'OTHER');
      await assert.rejects(pushRun(local, seeded[2]!.id, wrong, { retry: FAST_RETRY }), (error: PushError) => {
        assert.match(error.message, /: 401 /);
        assert.match(
          error.hint!,
          /^set OTHER to a token with the write scope \(kitt server token create --scope write\)$/,
        );
        return true;
      });
      const none = await call(`/api/v1/runs/${seeded[2]!.id}`, { method: 'PUT', body: '{}' });
      assert.equal(none.status, 401);
      assert.throws(() => pushTargetFrom(target.server, {}), /KITT_SERVER_TOKEN is not set/);
    });

    await t.test(
      'file bodies: gzip is decompressed, bad gzip is 400, past the cap is 413 and leaves nothing',
      async () => {
        const put = (name: string, body: Uint8Array | string, headers: Record<string, string> = {}) =>
          call(`/api/v1/runs/${first}/files/${name}`, { method: 'PUT', token: tokens.write, headers, body });
        const text = 'stage,requests_per_s\n0,4\n1,8\n';
        const gzipped = await put('stages.csv', gzipSync(text), { 'content-encoding': 'gzip' });
        assert.equal(gzipped.status, 201, gzipped.text);
        assert.equal(gzipped.json().bytes, text.length);
        assert.equal(readFileSync(join(dataDir, 'runs', first, 'stages.csv'), 'utf8'), text);
        assert.equal((await put('stages.csv', 'not gzip', { 'content-encoding': 'gzip' })).status, 400);
        const bomb = await put('stats.jsonl', gzipSync(Buffer.alloc(CAP_BYTES + 1)), { 'content-encoding': 'gzip' });
        assert.equal(bomb.status, 413, bomb.text);
        assert.match(bomb.json().error.message, /over 1\.0 MiB once decompressed/);
        const plain = await put('stats.jsonl', Buffer.alloc(CAP_BYTES + 1));
        assert.equal(plain.status, 413);
        assert.deepEqual(
          readdirSync(join(dataDir, 'runs', first)).filter((name) => name.startsWith('.') || name === 'stats.jsonl'),
          [],
          'no temporary file and no partial stats.jsonl',
        );
        assert.equal((await put('stages.csv', 'x', { 'content-encoding': 'br' })).status, 400);
      },
    );

    await t.test('names outside the allow-list, traversal and runs not pushed yet are refused', async () => {
      const put = (path: string) => call(path, { method: 'PUT', token: tokens.write, body: 'x' });
      for (const path of [
        `/api/v1/runs/${first}/files/..%2F..%2Fkitt.db`,
        `/api/v1/runs/${first}/files/notes.txt`,
        `/api/v1/runs/${first}/files/.hidden`,
        '/api/v1/runs/..%2F..%2Fetc/files/report.html',
        '/api/v1/runs/..%2F..%2Fetc',
        '/api/v1/runs/a.b/files/report.html',
      ]) {
        const answer = await put(path);
        assert.ok(answer.status === 400 || answer.status === 404, `${path}: ${answer.status}`);
      }
      const early = await put('/api/v1/runs/20260101T000200000Z-run2/files/report.html');
      assert.equal(early.status, 404);
      assert.match(early.json().error.hint, /PUT \/api\/v1\/runs\/20260101T000200000Z-run2 with the run's row first/);
      assert.deepEqual(readdirSync(join(dataDir, 'runs')).sort(), [first, seeded[1]!.id].sort());
    });

    await t.test('the OpenAPI document describes both upload routes', async () => {
      const doc = (await call('/api/v1/openapi.json', { token: tokens.read })).json();
      assert.ok(doc.paths['/runs/{id}'].put);
      assert.ok(doc.paths['/runs/{id}/files/{name}'].put);
    });

    await t.test('no token reaches a response, a log line or a file', () => {
      for (const token of [tokens.write, tokens.read]) {
        assert.ok(!bodies.some((body) => body.includes(token)), 'responses');
        assert.ok(!logged.some((line) => line.includes(token)), 'log');
        for (const file of [...filesUnder(serverHome), ...filesUnder(clientHome)]) {
          assert.ok(!readFileSync(file).includes(token), file);
        }
      }
    });
  });
}
