import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_CONFIG } from '../../config/config-schema.js';
import type { LiveSnapshot } from '../../metrics/live-snapshot.js';
import { openStore } from '../../store/open-store.js';
import { createApiToken } from '../auth/api-tokens.js';
import { serveKitt } from '../serve-kitt.js';

const snapshot = (runId: string, seq: number, done = false): LiveSnapshot => ({
  runId,
  seq,
  phase: 'constant-rate 2/s',
  stage: { index: 0, count: 1, label: 'constant-rate 2/s' },
  elapsedS: seq,
  plannedDurationS: 10,
  completed: seq * 2,
  failed: 0,
  inFlight: 1,
  windowS: 10,
  requestsPerS: 2,
  outputTokensPerS: 32,
  ttftP50Ms: 4.5,
  ttftP99Ms: 11,
  container: { cpuPercentOfLimit: 42, memoryBytes: 1e8, memoryLimitBytes: 2e9, ageS: 0.4 },
  done,
  ...(done ? { status: 'succeeded' } : {}),
});

/** Reads server-sent events until the stream ends: each `data:` line parsed, comments counted apart. */
async function readEvents(response: Response): Promise<{ events: LiveSnapshot[]; ids: string[] }> {
  const events: LiveSnapshot[] = [];
  const ids: string[] = [];
  const text = await response.text();
  for (const block of text.split('\n\n')) {
    const data = /^data: (.*)$/m.exec(block)?.[1];
    const id = /^id: (.*)$/m.exec(block)?.[1];
    if (data) events.push(JSON.parse(data) as LiveSnapshot);
    if (id) ids.push(id);
  }
  return { events, ids };
}

test('a run publishes its snapshots with a write token and a viewer reads them as events, in order, until done', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'kitt-live-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const tokens = await (async () => {
    await using store = await openStore(join(home, 'kitt.db'));
    return {
      write: (await createApiToken(store, { name: 'runner', scope: 'write' })).token,
      read: (await createApiToken(store, { name: 'viewer', scope: 'read' })).token,
    };
  })();
  const logged: string[] = [];
  await using server = await serveKitt({
    config: DEFAULT_CONFIG,
    home,
    host: '127.0.0.1',
    port: 0,
    version: 't',
    log: (line) => logged.push(line),
  });
  const post = (runId: string, body: unknown, token?: string) =>
    fetch(`${server.url}/api/v1/runs/${runId}/live`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  await t.test('no token is 401, a read token 403, a wrong body 400', async () => {
    assert.equal((await post('r1', snapshot('r1', 1))).status, 401);
    const forbidden = await post('r1', snapshot('r1', 1), tokens.read);
    assert.equal(forbidden.status, 403);
    assert.match(((await forbidden.json()) as { error: { message: string } }).error.message, /read scope/);
    assert.equal((await post('r1', { ...snapshot('r1', 1), completed: -1 }, tokens.write)).status, 400);
    assert.equal((await post('r1', snapshot('other', 1), tokens.write)).status, 400);
    const unknown = await fetch(`${server.url}/api/v1/runs/nobody/live`, { headers: bearer(tokens.read) });
    assert.equal(unknown.status, 404);
  });

  await t.test(
    'the viewer gets the kept snapshot, then the new ones in order, and the stream ends on done',
    async () => {
      assert.equal((await post('r1', snapshot('r1', 1), tokens.write)).status, 204);
      const response = await fetch(`${server.url}/api/v1/runs/r1/live`, { headers: bearer(tokens.read) });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
      const read = readEvents(response);
      for (let seq = 2; seq <= 4; seq++) {
        assert.equal((await post('r1', snapshot('r1', seq), tokens.write)).status, 204);
      }
      assert.equal((await post('r1', snapshot('r1', 5, true), tokens.write)).status, 204);
      const { events, ids } = await read;
      assert.deepEqual(
        events.map((e) => e.seq),
        [1, 2, 3, 4, 5],
      );
      assert.deepEqual(ids, ['1', '2', '3', '4', '5']);
      assert.equal(events.at(-1)?.status, 'succeeded');
      assert.equal(events[2]?.container?.cpuPercentOfLimit, 42);
      assert.equal(logged.filter((line) => line.includes('live run r1')).length, 1, 'one audit line per run');
      assert.ok(!logged.some((line) => line.includes(tokens.write)), 'the token is never logged');
    },
  );

  await t.test(
    'a late viewer gets the history after its Last-Event-ID and the end; the list shows the run',
    async () => {
      const late = await fetch(`${server.url}/api/v1/runs/r1/live`, {
        headers: { ...bearer(tokens.read), 'last-event-id': '3' },
      });
      assert.deepEqual(
        (await readEvents(late)).events.map((e) => e.seq),
        [4, 5],
      );
      const list = (await (await fetch(`${server.url}/api/v1/live`, { headers: bearer(tokens.read) })).json()) as {
        runs: Array<{ runId: string; latest: LiveSnapshot }>;
      };
      assert.deepEqual(
        list.runs.map((r) => [r.runId, r.latest.done]),
        [['r1', true]],
      );
      assert.equal((await fetch(`${server.url}/api/v1/live`)).status, 401);
    },
  );

  await t.test('viewers that disconnect free their place: 150 come and go past the limit of 100', async () => {
    assert.equal((await post('r2', snapshot('r2', 1), tokens.write)).status, 204);
    for (let i = 0; i < 150; i++) {
      const leave = new AbortController();
      const response = await fetch(`${server.url}/api/v1/runs/r2/live`, {
        headers: bearer(tokens.read),
        signal: leave.signal,
      });
      assert.equal(response.status, 200, `viewer ${i}`);
      const reader = response.body!.getReader();
      await reader.read();
      leave.abort();
      await reader.cancel().catch(() => undefined);
    }
    // the server hears the last disconnects a moment later
    await new Promise((resolve) => setTimeout(resolve, 200));
    const open = await fetch(`${server.url}/api/v1/runs/r2/live`, { headers: bearer(tokens.read) });
    assert.equal(open.status, 200);
    await open.body?.cancel();
  });

  await t.test('a quiet stream says `: keepalive` every 15 s, so proxies keep it open', async () => {
    assert.equal((await post('r3', snapshot('r3', 1), tokens.write)).status, 204);
    const response = await fetch(`${server.url}/api/v1/runs/r3/live`, { headers: bearer(tokens.read) });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const started = performance.now();
    while (!text.includes(': keepalive') && performance.now() - started < 20_000) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    await reader.cancel();
    assert.match(text, /^: keepalive$/m);
    assert.ok(performance.now() - started > 14_000, 'not before 15 s of quiet');
  });

  await t.test('the OpenAPI document describes the live routes', async () => {
    const doc = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    assert.ok(doc.paths['/runs/{id}/live']?.post && doc.paths['/runs/{id}/live']?.get);
    assert.ok(doc.paths['/live']?.get);
  });
});
