import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { LiveWindow } from '../../metrics/live-snapshot.js';
import { streamedRecord } from '../../testing/request-records.js';
import { startLivePublisher } from './live-publisher.js';

interface Received {
  readonly body: { seq: number; done: boolean; status?: string };
  readonly authorization: string | undefined;
}

/** A real HTTP server that keeps what it is posted, answering after `delayMs`, and counts overlaps. */
async function receiver(t: TestContext, delayMs = 0, status = 204) {
  const received: Received[] = [];
  let open = 0;
  let mostOpen = 0;
  const server: Server = createServer((request: IncomingMessage, response) => {
    open++;
    mostOpen = Math.max(mostOpen, open);
    let text = '';
    request.on('data', (chunk) => {
      text += chunk;
    });
    request.on('end', () => {
      received.push({ body: JSON.parse(text), authorization: request.headers.authorization });
      setTimeout(() => {
        open--;
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(
          status === 204 ? undefined : JSON.stringify({ error: { message: 'token viewer has the read scope' } }),
        );
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, mostOpen: () => mostOpen };
}

const windowFor = (runId: string) => new LiveWindow({ runId, nowMs: () => performance.now() });

test('at most one POST is in flight: a tick that finds one skips its snapshot; the final one comes last', async (t) => {
  const server = await receiver(t, 120);
  const live = windowFor('r1');
  const warnings: string[] = [];
  const publisher = startLivePublisher({
    url: `${server.url}/`,
    token: 'kitt_secret',
    runId: 'r1',
    snapshot: (final) => live.snapshot(final),
    warn: (line) => warnings.push(line),
    intervalMs: 20,
  });
  await new Promise((resolve) => setTimeout(resolve, 600));
  const counts = await publisher.stop({ status: 'succeeded' });
  assert.equal(server.mostOpen(), 1);
  assert.ok(counts.skipped > counts.sent, `skipped ${counts.skipped}, sent ${counts.sent}`);
  const last = server.received.at(-1)?.body;
  assert.deepEqual([last?.done, last?.status], [true, 'succeeded']);
  const seqs = server.received.map((r) => r.body.seq);
  assert.deepEqual(
    seqs,
    [...seqs].sort((a, b) => a - b),
    'in order',
  );
  assert.equal(server.received[0]?.authorization, 'Bearer kitt_secret');
  assert.deepEqual(warnings, []);
});

test('a server that is down costs one warning line, never the token, and the final snapshot gives up quickly', async () => {
  // a port that was just free: nothing listens there
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const warnings: string[] = [];
  const live = windowFor('r2');
  const publisher = startLivePublisher({
    url: `http://127.0.0.1:${port}`,
    token: 'kitt_secret',
    runId: 'r2',
    snapshot: (final) => live.snapshot(final),
    warn: (line) => warnings.push(line),
    intervalMs: 20,
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const started = performance.now();
  const counts = await publisher.stop({ status: 'failed' });
  assert.ok(performance.now() - started < 2_500);
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0] ?? '', /live view: .* did not take the run's snapshot .*the run goes on/);
  assert.doesNotMatch(warnings[0] ?? '', /kitt_secret/);
  assert.ok(counts.failed > 1 && counts.sent === 0);
});

test("a refusal quotes the server's reason once", async (t) => {
  const server = await receiver(t, 0, 403);
  const warnings: string[] = [];
  const live = windowFor('r3');
  const publisher = startLivePublisher({
    url: server.url,
    token: 'kitt_read',
    runId: 'r3',
    snapshot: (final) => live.snapshot(final),
    warn: (line) => warnings.push(line),
    intervalMs: 20,
  });
  await new Promise((resolve) => setTimeout(resolve, 150));
  await publisher.stop({ status: 'succeeded' });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0] ?? '', /403: token viewer has the read scope/);
});

test('what a snapshot costs: the window of a busy run, and the POST with it', async (t) => {
  // the window full (4,096 records in the last 10 s, 410 req/s): the most one snapshot scans and sorts
  const live = new LiveWindow({ runId: 'cost', nowMs: () => 10_000 });
  for (let i = 0; i < 4_096; i++) {
    live.observeRecord(streamedRecord({ id: i, sentAtMs: 9_000 + i / 5, arrivalsAtMs: [9_010 + i / 5 + (i % 13)] }));
  }
  const rounds = 500;
  let cpu = process.cpuUsage();
  for (let i = 0; i < rounds; i++) JSON.stringify(live.snapshot());
  cpu = process.cpuUsage(cpu);
  const snapshotMs = (cpu.user + cpu.system) / 1000 / rounds;
  const server = await receiver(t);
  cpu = process.cpuUsage();
  const publisher = startLivePublisher({
    url: server.url,
    token: 'kitt_secret',
    runId: 'cost',
    snapshot: (final) => live.snapshot(final),
    warn: () => {},
    intervalMs: 5,
  });
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const counts = await publisher.stop({ status: 'succeeded' });
  cpu = process.cpuUsage(cpu);
  // the receiving server runs in this process too: an upper bound on what the run pays
  const postMs = (cpu.user + cpu.system) / 1000 / counts.sent;
  t.diagnostic(
    `snapshot of a full window: ${snapshotMs.toFixed(3)} ms CPU; with its POST: ${postMs.toFixed(3)} ms CPU`,
  );
  assert.ok(counts.sent > 20, `sent ${counts.sent}`);
  // once a second, this is well under 1% of one core
  assert.ok(snapshotMs < 10, `${snapshotMs} ms per snapshot`);
  assert.ok(postMs < 10, `${postMs} ms per POST`);
});
