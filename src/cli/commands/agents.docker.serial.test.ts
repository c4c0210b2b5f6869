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
  // 16 MiB is right at the edge: the kernel kills the engine while it loads or at its first
  // requests, by the timing of the host. Either way the OOM is named with the limit.
  assert.match(
    output,
    /error: (the engine|llamacpp) was OOM-killed (during the run under its|at the) 16\.0 MiB memory limit/,
  );
  assert.match(output, /(give it more|raise) --memory/);
  await using store = await openStore(join(home, 'kitt.db'));
  const [stored] = await store.listRuns({ limit: 1 });
  assert.ok(stored, 'the run is in the store');
  assert.match(stored.error ?? '', /OOM-killed .* 16\.0 MiB memory limit/);
  assert.deepEqual(containersOf(stored.id), [], 'the OOM-killed container is removed');
  const ended = /run (\S+): engine-failed — (\d+) steps by 2 agents/.exec(output);
  if (ended) {
    assert.equal(stored.status, 'engine-failed');
    // how many steps ran before the OOM ended the run depends on when the kernel killed the engine
    const steps = readFileSync(join(home, 'results', stored.id, 'steps.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { think?: { error?: unknown } });
    assert.equal(steps.length, Number(ended[2]), 'every step that ran is recorded');
    assert.ok(
      steps.some((step) => step.think?.error),
      'the think the OOM cut short is recorded with its error',
    );
    assert.ok(existsSync(join(home, 'results', stored.id, 'metrics.json')));
  } else {
    assert.equal(stored.status, 'failed', 'killed while starting: no step ran');
  }
  // A host process sleeping 10 ms at a time fired on time through the OOM: the limit held it in.
  assert.ok(host.probeSamples > 50, `the probe ran (${host.probeSamples} samples)`);
  assert.ok((host.probeDriftP99Ms ?? Number.POSITIVE_INFINITY) < 250, `timer drift p99 ${host.probeDriftP99Ms} ms`);
});
