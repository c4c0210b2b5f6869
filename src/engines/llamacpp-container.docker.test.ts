import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from 'undici';
import { newRunId } from '../core/ids.js';
import { engineReportFromLlamaCpp } from '../load/response-decoder.js';
import { createDockerRuntime } from '../runtime/docker/docker-runtime.js';
import { llamaCppImageReady } from '../testing/docker-gate.js';
import { freePort } from '../testing/free-port.js';
import { RecordingProgress } from '../testing/recording-progress.js';
import { startContainerEngine } from '../testing/start-engine-in.js';
import { ensureTestModel } from '../testing/test-model.js';

/**
 * Tier 2: the real llama.cpp server container (kitt/llama-server:cpu, built by
 * scripts/build-llamacpp-image.sh) with the synthetic test model, end to end.
 */
const runtime = createDockerRuntime();
const mib = 1024 * 1024;

test('llama.cpp in a container: limits in inspect, ready, a completion with timings, nothing left after stop', async (t) => {
  if (!(await llamaCppImageReady(t))) return;
  const model = await ensureTestModel();
  const runId = newRunId();
  const engine = await startContainerEngine(
    {
      engine: 'llamacpp',
      mode: 'docker',
      modelPath: model,
      limits: { memoryBytes: 512 * mib, memorySwapBytes: 512 * mib, cpus: 1, pids: 128 },
      engineArgs: [],
      runId,
      port: await freePort(),
      threads: 1,
    },
    { runtime, progress: new RecordingProgress() },
  );
  try {
    const inspected = await runtime.inspect({ id: engine.handle, name: engine.handle });
    assert.deepEqual(inspected.limits, { memoryBytes: 512 * mib, memorySwapBytes: 512 * mib, cpus: 1, pids: 128 });
    assert.equal(inspected.networkMode, 'host');
    assert.deepEqual(
      inspected.mounts.map((m) => [m.type, m.source, m.readOnly]),
      [['bind', model, true]],
    );
    assert.equal(inspected.labels['kitt.run-id'], runId);
    assert.equal(inspected.labels['kitt.engine'], 'llamacpp');

    const response = await request(`${engine.baseUrl}/completion`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'Hello', n_predict: 4, ignore_eos: true }),
    });
    const body = (await response.body.json()) as { timings: Record<string, unknown> };
    assert.equal(response.statusCode, 200);
    assert.equal(engineReportFromLlamaCpp(body.timings).completionTokens, 4);
  } finally {
    const stopped = await engine.stop();
    assert.equal(stopped.exit.oomKilled, false);
  }
  // idempotent, and nothing of this run remains
  await engine.stop();
  assert.deepEqual(await runtime.listManaged({ 'kitt.run-id': runId }), []);
});

test('llama.cpp with a bad engine flag fails readiness early with its log tail', async (t) => {
  if (!(await llamaCppImageReady(t))) return;
  const model = await ensureTestModel();
  const runId = newRunId();
  await assert.rejects(
    startContainerEngine(
      {
        engine: 'llamacpp',
        mode: 'docker',
        modelPath: model,
        limits: {},
        engineArgs: ['--no-such-flag'],
        runId,
        port: await freePort(),
      },
      { runtime, progress: new RecordingProgress() },
    ),
    (error: unknown) =>
      error instanceof Error && /exited before it was ready/.test(error.message) && /no-such-flag/.test(error.message),
  );
  assert.deepEqual(await runtime.listManaged({ 'kitt.run-id': runId }), []);
});
