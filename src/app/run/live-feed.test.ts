import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_CONFIG } from '../../config/config-schema.js';
import { KittError } from '../../core/errors.js';
import { newRunId } from '../../core/ids.js';
import { type LoadProgressEvent, type Progress, silentProgress } from '../../core/progress.js';
import { loadSpecSchema } from '../../load/load-spec.js';
import { ensureTestModel } from '../../testing/test-model.js';
import { plannedDurationS, startLiveFeed } from './live-feed.js';
import { runBenchmark } from './run-benchmark.js';
import { planRun } from './run-plan.js';
import { createRunPorts } from './run-ports.js';

const spec = (raw: unknown) => loadSpecSchema.parse(raw);

test('the planned duration counts warmup, cooldown and every sweep level, and is null for a count of requests', () => {
  assert.equal(plannedDurationS(spec({ kind: 'constant-rate', rate: 2, durationS: 30 })), 30);
  assert.equal(
    plannedDurationS(
      spec({ kind: 'sweep', of: 'constant-rate', levels: [1, 2, 4], durationS: 20, warmup: { durationS: 5 } }),
    ),
    75,
  );
  assert.equal(plannedDurationS(spec({ kind: 'fixed-concurrency', concurrency: 2, requests: 100 })), null);
});

test('the tapped Progress forwards every call, and takes load events only where the inner one does', async () => {
  const feed = startLiveFeed({
    url: 'http://127.0.0.1:9',
    token: undefined,
    runId: 'r',
    load: spec({ kind: 'constant-rate', rate: 1, durationS: 5 }),
    warn: () => {},
    intervalMs: 60_000,
  });
  const calls: string[] = [];
  const events: LoadProgressEvent[] = [];
  const inner: Progress = {
    phase: (name) => calls.push(`phase ${name}`),
    update: (done) => calls.push(`update ${done}`),
    info: (line) => calls.push(`info ${line}`),
    warn: (line) => calls.push(`warn ${line}`),
    end: () => calls.push('end'),
    load: (event) => events.push(event),
  };
  const tapped = feed.tap(inner);
  tapped.phase('starting embedded');
  tapped.update(3);
  tapped.info('hello');
  tapped.warn('careful');
  tapped.end();
  tapped.load?.({ kind: 'stage-end', atMs: 1 });
  assert.deepEqual(calls, ['phase starting embedded', 'update 3', 'info hello', 'warn careful', 'end']);
  assert.equal(events.length, 1);
  assert.equal(feed.tap(silentProgress).load, undefined, 'a Progress without load events keeps getting phases');
  await feed.finish('succeeded');
});

test('a run whose engine never gets ready still sends its final snapshot, with the status it is recorded with', async (t) => {
  const posted: Array<{ done: boolean; status?: string; phase: string }> = [];
  const server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => {
      text += chunk;
    });
    request.on('end', () => {
      posted.push(JSON.parse(text));
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const home = mkdtempSync(join(tmpdir(), 'kitt-live-feed-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const plan = await planRun({ model: await ensureTestModel(), requests: '4' }, DEFAULT_CONFIG, {
    runId: newRunId(),
  });
  const real = await createRunPorts({
    config: DEFAULT_CONFIG,
    home,
    env: {},
    pull: false,
    progress: silentProgress,
    kittVersion: 't',
    live: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 'kitt_w' },
  });
  t.after(() => real.close());
  const ports = {
    ...real,
    startEngine: async (_request: unknown, context: { progress: Progress }) => {
      context.progress.phase('starting embedded');
      throw new KittError('ENGINE_NOT_READY', 'engine embedded did not get ready within 1s');
    },
  };
  await assert.rejects(
    runBenchmark({ engine: plan.engine, load: plan.load, home, kittVersion: 't' }, ports, {
      progress: silentProgress,
      signal: new AbortController().signal,
    }),
    /did not get ready/,
  );
  const last = posted.at(-1);
  assert.deepEqual([last?.done, last?.status], [true, 'engine-failed']);
  assert.equal((await real.store.getRun(plan.engine.runId))?.status, 'engine-failed');
});
