import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LiveSnapshot } from '../../metrics/live-snapshot.js';
import { LiveHub, type LiveListener } from './live-hub.js';

const snapshot = (runId: string, seq: number, done = false): LiveSnapshot => ({
  runId,
  seq,
  phase: 'constant-rate 1/s',
  stage: null,
  elapsedS: seq,
  plannedDurationS: null,
  completed: seq,
  failed: 0,
  inFlight: 1,
  windowS: 10,
  requestsPerS: 1,
  outputTokensPerS: 16,
  ttftP50Ms: 5,
  ttftP99Ms: 9,
  container: null,
  done,
  ...(done ? { status: 'succeeded' } : {}),
});

const collector = () => {
  const seen: number[] = [];
  let gone = 0;
  const listener: LiveListener = { snapshot: (s) => seen.push(s.seq), gone: () => gone++ };
  return { seen, listener, gone: () => gone };
};

test('a viewer gets the kept history, then each snapshot in order, and is let go after done', () => {
  const hub = new LiveHub({ historyLimit: 3 });
  for (let seq = 1; seq <= 5; seq++) hub.publish('a', snapshot('a', seq));
  const viewer = collector();
  const subscription = hub.subscribe('a', viewer.listener);
  assert.ok(subscription && subscription !== 'full');
  assert.deepEqual(
    subscription.history.map((s) => s.seq),
    [3, 4, 5],
    'only the last 3 are kept',
  );
  hub.publish('a', snapshot('a', 6));
  hub.publish('a', snapshot('a', 7, true));
  hub.publish('a', snapshot('a', 8));
  assert.deepEqual(viewer.seen, [6, 7], 'nothing after done');
  assert.equal(hub.subscribers, 0);
});

test('done runs stay listed for keepDoneMs, silent ones for keepSilentMs; their viewers are told', () => {
  let now = 0;
  const hub = new LiveHub({ keepDoneMs: 1_000, keepSilentMs: 5_000, nowMs: () => now });
  hub.publish('done', snapshot('done', 1, true));
  hub.publish('silent', snapshot('silent', 1));
  const viewer = collector();
  hub.subscribe('silent', viewer.listener);
  now = 2_000;
  assert.deepEqual(
    hub.list().map((r) => r.runId),
    ['silent'],
  );
  now = 6_000;
  assert.deepEqual(hub.list(), []);
  assert.equal(viewer.gone(), 1);
  assert.equal(hub.subscribe('silent', viewer.listener), undefined);
});

test('many runs and many viewers stay bounded: the stalest run is evicted, a full run refuses viewers', () => {
  let now = 0;
  const hub = new LiveHub({ maxRuns: 10, maxSubscribersPerRun: 2, historyLimit: 5, nowMs: () => now });
  for (let i = 0; i < 1_000; i++) {
    now++;
    for (let seq = 1; seq <= 20; seq++) hub.publish(`run-${i}`, snapshot(`run-${i}`, seq));
  }
  const runs = hub.list();
  assert.equal(runs.length, 10);
  assert.equal(runs[0]?.runId, 'run-999');
  const a = hub.subscribe('run-999', collector().listener);
  const b = hub.subscribe('run-999', collector().listener);
  assert.equal(hub.subscribe('run-999', collector().listener), 'full');
  assert.ok(a && a !== 'full' && b && b !== 'full');
  a.unsubscribe();
  assert.notEqual(hub.subscribe('run-999', collector().listener), 'full', 'a viewer that left frees its place');
  assert.equal(hub.subscribers, 2);
});

test('closing the viewers ends every stream', () => {
  const hub = new LiveHub();
  hub.publish('a', snapshot('a', 1));
  const viewer = collector();
  hub.subscribe('a', viewer.listener);
  hub.closeViewers();
  assert.equal(viewer.gone(), 1);
  assert.equal(hub.subscribers, 0);
});
