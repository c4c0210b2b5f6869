import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type LoadProgressEvent, type Progress, silentProgress } from '../../core/progress.js';
import { loadSpecSchema } from '../../load/load-spec.js';
import { plannedDurationS, startLiveFeed } from './live-feed.js';

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
