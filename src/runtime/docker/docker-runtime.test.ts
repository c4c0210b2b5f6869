import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import Docker from 'dockerode';
import { KittError } from '../../core/errors.js';
import { newRunId } from '../../core/ids.js';
import { skipUnlessDocker } from '../../testing/docker-gate.js';
import { ensureTestHogImage, hogSpec } from '../../testing/test-hog.js';
import type { ContainerRef } from '../container-runtime.js';
import { currentOwner, formatOwner, parseOwner, processStartTime } from '../owner.js';
import { reapOrphans } from '../reap-orphans.js';
import { sampleStats } from '../sample-stats.js';
import { createDockerRuntime } from './docker-runtime.js';

const MiB = 1024 * 1024;

/** A runtime plus cleanup that removes everything the test's run id labelled, on every path. */
async function setup(t: TestContext) {
  if (await skipUnlessDocker(t)) return undefined;
  await ensureTestHogImage();
  const runtime = createDockerRuntime();
  const runId = newRunId();
  t.after(async () => {
    for (const c of await runtime.listManaged({ 'kitt.run-id': runId })) await runtime.remove(c);
  });
  return { runtime, runId };
}

test('a started container shows its limits, host networking, labels and read-only bind in inspect', async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  const { runtime, runId } = ctx;
  const dir = mkdtempSync(join(tmpdir(), 'kitt-bind-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const limits = { memoryBytes: 64 * MiB, cpus: 0.5, pids: 32 };
  const ref = await runtime.run(
    hogSpec(runId, ['--seconds', '60'], limits, {
      mounts: [{ type: 'bind', source: dir, target: '/models', readOnly: true }],
      env: { KITT_TEST: '1' },
    }),
  );
  const inspection = await runtime.inspect(ref);
  assert.equal(inspection.state, 'running');
  assert.deepEqual(inspection.limits, { ...limits, memorySwapBytes: 64 * MiB });
  assert.equal(inspection.networkMode, 'host');
  assert.deepEqual(inspection.mounts, [{ type: 'bind', source: dir, target: '/models', readOnly: true }]);
  assert.equal(inspection.labels['kitt.managed'], 'true');
  assert.equal(inspection.labels['kitt.run-id'], runId);
  assert.deepEqual(parseOwner(inspection.labels['kitt.owner']), currentOwner());
  const listed = await runtime.listManaged({ 'kitt.run-id': runId });
  assert.deepEqual(
    listed.map((c) => c.id),
    [ref.id],
  );
});

test('stop is idempotent and reports how the container ended', async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  const { runtime, runId } = ctx;
  const ref = await runtime.run(hogSpec(runId, ['--seconds', '60']));
  const first = await runtime.stop(ref, { graceMs: 5_000 });
  assert.equal(first?.exitCode, 0, 'the hog exits 0 on SIGTERM');
  assert.equal(first?.oomKilled, false);
  const second = await runtime.stop(ref, { graceMs: 5_000 });
  assert.deepEqual(second, first);
  await runtime.remove(ref);
  await runtime.remove(ref);
  assert.equal(await runtime.stop(ref), undefined, 'stopping a removed container is not an error');
  assert.deepEqual(await runtime.listManaged({ 'kitt.run-id': runId }), []);
});

test('a process that ignores SIGTERM is killed after the grace period', async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  const ref = await ctx.runtime.run(hogSpec(ctx.runId, ['--ignore-term']));
  const exit = await ctx.runtime.stop(ref, { graceMs: 1_000 });
  assert.equal(exit?.exitCode, 137);
  assert.equal(exit?.signal, 'SIGKILL');
});

test('stats stay within the CPU limit: two spinning threads under --cpus 0.5 use half a core', async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  const { runtime, runId } = ctx;
  const ref = await runtime.run(hogSpec(runId, ['--spin', '2', '--mem', '16'], { cpus: 0.5, memoryBytes: 128 * MiB }));
  const { samples, summary } = await sampleStats(runtime, ref, { signal: AbortSignal.timeout(4_500) });
  assert.ok(samples.length >= 2, `only ${samples.length} samples`);
  for (const s of samples) {
    // CFS enforces 50 ms per 100 ms period; one-second readings may straddle a period edge
    assert.ok(s.cpuCores <= 0.55, `cores ${s.cpuCores}`);
    assert.ok(s.cpuPercentOfHost <= 27.5, `host % ${s.cpuPercentOfHost}`);
    assert.ok(s.cpuPercentOfLimit <= 110, `limit % ${s.cpuPercentOfLimit}`);
    assert.equal(s.memoryLimitBytes, 128 * MiB);
    assert.ok(s.memoryBytes >= 16 * MiB && s.memoryBytes < 64 * MiB, `memory ${s.memoryBytes}`);
    assert.equal(s.pids, 3);
  }
  assert.ok(summary.throttledPeriods > 0, 'two threads on half a core must be throttled');
  assert.ok(summary.cpuPercentOfLimit.max > 50, `max % of limit ${summary.cpuPercentOfLimit.max}`);
});

test('a memory limit too small for the process is reported as an OOM kill at that limit', async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  const ref = await ctx.runtime.run(hogSpec(ctx.runId, ['--mem', '256'], { memoryBytes: 32 * MiB }));
  const exit = await ctx.runtime.wait(ref, AbortSignal.timeout(30_000));
  assert.equal(exit.oomKilled, true);
  assert.equal(exit.exitCode, 137);
  assert.equal(exit.reason, 'OOM-killed at the 32.0 MiB memory limit');
});

test('the last log lines of stdout and stderr come back as text', async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  const ref = await ctx.runtime.run(hogSpec(ctx.runId, ['--bogus']));
  const exit = await ctx.runtime.wait(ref);
  assert.equal(exit.exitCode, 2);
  assert.equal(exit.reason, 'exited with code 2');
  assert.match(await ctx.runtime.logsTail(ref, 5), /unknown argument --bogus/);
});

test('a missing image is IMAGE_MISSING with a hint, and nothing is created', async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  const spec = { ...hogSpec(ctx.runId, []), image: 'kitt/llama-server:does-not-exist' };
  await assert.rejects(ctx.runtime.run(spec), (error: unknown) => {
    assert.ok(error instanceof KittError);
    assert.equal(error.code, 'IMAGE_MISSING');
    assert.match(error.hint ?? '', /build-llamacpp-image\.sh/);
    return true;
  });
  assert.equal(await ctx.runtime.imageExists(spec.image), false);
  assert.equal(await ctx.runtime.imageExists('kitt/test-hog'), true);
  assert.deepEqual(await ctx.runtime.listManaged({ 'kitt.run-id': ctx.runId }), []);
});

test('an unreachable daemon is RUNTIME_UNREACHABLE naming the endpoint and the fix', async () => {
  const runtime = createDockerRuntime({ env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
  await assert.rejects(runtime.ping(), (error: unknown) => {
    assert.ok(error instanceof KittError);
    assert.equal(error.code, 'RUNTIME_UNREACHABLE');
    assert.match(error.message, /cannot reach Docker at unix:\/\/\/nonexistent\/docker\.sock/);
    assert.match(error.hint ?? '', /start dockerd.*DOCKER_HOST/);
    return true;
  });
  await assert.rejects(runtime.listManaged(), { code: 'RUNTIME_UNREACHABLE' });
});

test('reaping removes the container of a dead kitt process and leaves live and foreign ones alone', async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  const { runtime, runId } = ctx;
  // An owner that existed and died: a child process, killed before reaping.
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  const deadOwner = { ...currentOwner(), pid: child.pid!, startTime: processStartTime(child.pid!)! };
  child.kill('SIGKILL');
  await once(child, 'exit');
  const orphanRuntime = createDockerRuntime({ ownerLabel: formatOwner(deadOwner) });
  const orphan = await orphanRuntime.run(hogSpec(runId, ['--seconds', '60']));
  const mine = await runtime.run(hogSpec(runId, ['--seconds', '60']));
  // Someone else's container, carrying kitt-looking labels but not kitt.managed.
  const docker = new Docker();
  const foreign = await docker.createContainer({
    name: `not-kitt-${runId}`,
    Image: 'kitt/test-hog',
    Cmd: ['--seconds', '60'],
    Labels: { 'kitt.run-id': runId, 'kitt.owner': formatOwner(deadOwner) },
    HostConfig: { NetworkMode: 'host' },
  });
  t.after(() => foreign.remove({ force: true }));

  const result = await reapOrphans(runtime);

  const ids = (refs: readonly ContainerRef[]) => refs.map((r) => r.id);
  assert.ok(ids(result.removed).includes(orphan.id));
  assert.ok(!ids(result.removed).includes(mine.id));
  assert.ok(ids(result.kept).includes(mine.id));
  assert.deepEqual(ids(await runtime.listManaged({ 'kitt.run-id': runId })), [mine.id]);
  assert.equal((await foreign.inspect()).Id, foreign.id, 'the unlabelled container still exists');
});

test('sampling ends on its own when the container exits', async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  const ref = await ctx.runtime.run(hogSpec(ctx.runId, ['--spin', '1', '--seconds', '3'], { cpus: 0.2 }));
  const started = performance.now();
  const { samples } = await sampleStats(ctx.runtime, ref, { signal: AbortSignal.timeout(20_000) });
  assert.ok(performance.now() - started < 10_000, 'the stream ended with the container, not the timeout');
  assert.ok(samples.length >= 1);
});
