import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startHostProbe } from './calibrate-host-probe.js';

test('measures timer lateness in a separate process and kitt event-loop delay, and ends the probe', async () => {
  const probe = startHostProbe();
  await probe.ready;
  await new Promise((resolve) => setTimeout(resolve, 600));
  // block kitt's own loop for ~60 ms: the event-loop figure must see it, the separate probe need not
  const until = performance.now() + 60;
  while (performance.now() < until) {}
  await new Promise((resolve) => setTimeout(resolve, 100));
  const host = await probe.stop();
  assert.ok(host.probeSamples > 5, `probe samples ${host.probeSamples}`);
  assert.ok(host.probeDriftMaxMs !== undefined && host.probeDriftMaxMs >= 0);
  assert.ok(host.eventLoopDelayMaxMs >= 50, `event-loop max ${host.eventLoopDelayMaxMs}`);
  assert.deepEqual(await probe.stop(), host, 'stop is idempotent');
});
