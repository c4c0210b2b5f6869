import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startHostProbe } from '../../app/calibrate/calibrate-host-probe.js';
import { EXIT_CODES } from '../../core/errors.js';
import { openStore } from '../../store/open-store.js';
import { llamaCppImageReady } from '../../testing/docker-gate.js';
import { exitOf, kittSpawn, tempHome } from '../../testing/kitt-cli.js';
import { ensureTestModel } from '../../testing/test-model.js';

// kitt agents on the real llama.cpp container, under hard limits.

function containersOf(runId: string): string[] {
  return execFileSync('docker', ['ps', '-aq', '--filter', `label=kitt.run-id=${runId}`], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .filter(Boolean);
}

test('kitt agents with --memory too small: the OOM is reported with the limit, the steps kept, the host responsive, nothing left', async (t) => {
  if (!(await llamaCppImageReady(t))) return;
  const home = tempHome(t);
  const model = await ensureTestModel();
  // 16 MiB holds the 9 MiB model while it loads; the first request's buffers do not fit.
  const args = ['agents', '-e', 'llamacpp', '-m', model, '--cpus', '1', '--memory', '16m'];
  const probe = startHostProbe();
  const child = kittSpawn(t, [...args, '--agents', '2', '--steps', '4', '--rate', 'off'], { KITT_HOME: home });
  const { code } = await exitOf(child);
  const host = await probe.stop();
  t.diagnostic(
    `host probe during the OOM: timer drift p99 ${host.probeDriftP99Ms} ms, max ${host.probeDriftMaxMs} ms over ${host.probeSamples} samples`,
  );
  const output = child.output();
  assert.equal(code, EXIT_CODES.OOM_KILLED, output);
  assert.match(output, /error: the engine was OOM-killed during the run under its 16\.0 MiB memory limit/);
  assert.match(output, /give it more --memory/);
  const runId = /run (\S+): engine-failed/.exec(output)?.[1];
  assert.ok(runId, output);
  const steps = readFileSync(join(home, 'results', runId, 'steps.jsonl'), 'utf8')
    .trim()
    .split('\n');
  assert.equal(steps.length, 8, 'every step is recorded, each with its failed think');
  await using store = await openStore(join(home, 'kitt.db'));
  const stored = await store.getRun(runId);
  assert.equal(stored?.status, 'engine-failed');
  assert.match(stored?.error ?? '', /OOM-killed .* 16\.0 MiB memory limit/);
  assert.ok(existsSync(join(home, 'results', runId, 'metrics.json')));
  assert.deepEqual(containersOf(runId), [], 'the OOM-killed container is removed');
  // A host process sleeping 10 ms at a time fired on time through the OOM: the limit held it in.
  assert.ok(host.probeSamples > 50, `the probe ran (${host.probeSamples} samples)`);
  assert.ok((host.probeDriftP99Ms ?? Number.POSITIVE_INFINITY) < 250, `timer drift p99 ${host.probeDriftP99Ms} ms`);
});
