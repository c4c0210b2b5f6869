import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { KittError } from '../core/errors.js';
import { newRunId } from '../core/ids.js';
import { createDockerRuntime } from '../runtime/docker/docker-runtime.js';
import { skipUnlessDocker } from '../testing/docker-gate.js';
import { freePort } from '../testing/free-port.js';
import { RecordingProgress } from '../testing/recording-progress.js';
import { startContainerEngine } from '../testing/start-engine-in.js';
import { ensureTestHogImage, TEST_HOG_IMAGE } from '../testing/test-hog.js';
import { ensureTestModel } from '../testing/test-model.js';
import type { EngineRequest } from './engine.js';
import type { EngineDefinition } from './engine-definition.js';
import { llamacppEngine } from './llamacpp.js';

/**
 * Tier 2: the container lifecycle on a real daemon with kitt/test-hog (a static program in a
 * FROM-scratch image that allocates memory or sleeps), so startup failures are real exits, real
 * OOM kills and real removals. The image is built on first use (scripts/build-test-hog-image.sh).
 */
const HOG = TEST_HOG_IMAGE;
const dir = mkdtempSync(join(tmpdir(), 'kitt-lifecycle-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const gguf = await ensureTestModel();
const runtime = createDockerRuntime();

/** An engine whose container runs test-hog with the given arguments and never answers HTTP. */
function hogEngine(args: string[]): EngineDefinition {
  return {
    ...llamacppEngine,
    images: [{ image: HOG }],
    readiness: { httpPath: '/health', timeoutMs: 60_000 },
    containerPlan: () => ({ cmd: args }),
  };
}

async function request(overrides: Partial<EngineRequest> = {}): Promise<EngineRequest> {
  return {
    engine: 'llamacpp',
    mode: 'docker',
    modelPath: gguf,
    limits: {},
    engineArgs: [],
    runId: newRunId(),
    port: await freePort(),
    ...overrides,
  };
}

async function leftovers(runId: string): Promise<number> {
  return (await runtime.listManaged({ 'kitt.run-id': runId })).length;
}

async function hogPresent(t: import('node:test').TestContext): Promise<boolean> {
  if (await skipUnlessDocker(t)) return false;
  await ensureTestHogImage();
  return true;
}

test('a container that exits at once (bad argument) fails readiness early with its log tail', async (t) => {
  if (!(await hogPresent(t))) return;
  const req = await request();
  const started = performance.now();
  await assert.rejects(
    startContainerEngine(req, {
      runtime,
      progress: new RecordingProgress(),
      definition: hogEngine(['--no-such-flag']),
    }),
    (error: unknown) =>
      error instanceof KittError &&
      error.code === 'ENGINE_EXITED' &&
      /exited with code 2/.test(error.message) &&
      /unknown argument --no-such-flag/.test(error.message),
  );
  // early: well inside the 60 s readiness budget
  assert.ok(performance.now() - started < 20_000);
  assert.equal(await leftovers(req.runId), 0);
});

test('an engine OOM-killed while starting is OOM_KILLED with the limit that was hit', async (t) => {
  if (!(await hogPresent(t))) return;
  const mib = 1024 * 1024;
  const req = await request({ limits: { memoryBytes: 32 * mib, memorySwapBytes: 32 * mib } });
  await assert.rejects(
    startContainerEngine(req, {
      runtime,
      progress: new RecordingProgress(),
      definition: hogEngine(['--mem', '256', '--step-mib', '4']),
    }),
    (error: unknown) =>
      error instanceof KittError &&
      error.code === 'OOM_KILLED' &&
      error.message.startsWith('llamacpp was OOM-killed at the 32.0 MiB memory limit'),
  );
  assert.equal(await leftovers(req.runId), 0);
});

test('an abort while waiting for readiness removes the container', async (t) => {
  if (!(await hogPresent(t))) return;
  const req = await request();
  const controller = new AbortController();
  setTimeout(() => controller.abort(new KittError('INTERRUPTED', 'interrupted by SIGINT')), 1_500);
  await assert.rejects(
    startContainerEngine(req, {
      runtime,
      progress: new RecordingProgress(),
      signal: controller.signal,
      definition: hogEngine(['--seconds', '0']),
    }),
    (error: unknown) => error instanceof KittError && error.code === 'INTERRUPTED',
  );
  assert.equal(await leftovers(req.runId), 0);
});

test('a container that never answers is ENGINE_NOT_READY after its budget, and removed', async (t) => {
  if (!(await hogPresent(t))) return;
  const req = await request({ limits: { cpus: 0.5, memoryBytes: 64 * 1024 * 1024, pids: 32 } });
  await assert.rejects(
    startContainerEngine(req, {
      runtime,
      progress: new RecordingProgress(),
      readinessTimeoutMs: 1_500,
      definition: hogEngine(['--seconds', '0']),
    }),
    (error: unknown) =>
      error instanceof KittError && error.code === 'ENGINE_NOT_READY' && /hog: starting/.test(error.message),
  );
  assert.equal(await leftovers(req.runId), 0);
});
