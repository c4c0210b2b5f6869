import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { parse } from 'yaml';
import { newRunId } from '../../core/ids.js';
import { formatBytes } from '../../core/units.js';
import { createDockerRuntime } from '../../runtime/docker/docker-runtime.js';
import { llamaCppImageReady } from '../../testing/docker-gate.js';
import { freePort } from '../../testing/free-port.js';
import { RecordingProgress } from '../../testing/recording-progress.js';
import { ensureTestModel } from '../../testing/test-model.js';
import { calibrateContexts, formatContextsResult } from './calibrate-contexts.js';
import { createCalibrationPorts } from './calibrate-ports.js';

/**
 * Tier 2, serial: the contexts phase against the real llama.cpp container under a memory limit
 * small enough that the memory, not the ceiling, sets the count.
 */
const runtime = createDockerRuntime();
const MiB = 1024 * 1024;

function scratch(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-contexts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('finds how many full 512-token contexts fit 96 MiB, verified by filling every slot at once, and writes compute.maxContexts', async (t) => {
  if (!(await llamaCppImageReady(t))) return;
  const dir = scratch(t);
  const runId = newRunId();
  const ports = await createCalibrationPorts({
    home: dir,
    env: { PATH: process.env.PATH, KITT_HOME: dir },
    cwd: dir,
    configPath: join(dir, 'config.yaml'),
    storeUrl: join(dir, 'kitt.db'),
  });
  t.after(() => ports.close());
  const memoryBytes = 96 * MiB;
  const progress = new RecordingProgress();
  const result = await calibrateContexts(
    {
      engine: {
        engine: 'llamacpp',
        mode: 'docker',
        modelPath: await ensureTestModel(),
        limits: { cpus: 1, memoryBytes, memorySwapBytes: memoryBytes },
        engineArgs: [],
        runId,
        port: await freePort(),
        threads: 1,
      },
      contextTokens: 512,
      margin: 0.1,
      ceiling: 512,
    },
    { startEngine: ports.startEngine, startSampling: ports.startSampling, ...ports.contexts! },
    { signal: new AbortController().signal, progress },
  );
  t.diagnostic(formatContextsResult(result));
  assert.equal(result.status, 'measured', JSON.stringify(result));
  if (result.status !== 'measured') return;
  t.diagnostic(
    `baseline fill: ${result.baseline.reason}; verifications: ${result.verifications.map((v) => `${v.contexts}: ${v.outcome} (${v.reason})`).join(' | ')}`,
  );
  assert.equal(result.baseline.outcome, 'answered');
  assert.ok(result.baseline.baselineBytes > 0 && result.baseline.baselineBytes < memoryBytes);
  assert.equal(result.kvBytesPerToken, 512, 'the tiny model: 2 layers × 4 KV heads × (16 + 16) × 2 bytes');
  assert.ok(
    result.estimate.contexts > 1 && !result.estimate.capped,
    'the memory, not the ceiling, bounds the estimate',
  );
  const answered = result.verifications.findLast((v) => v.outcome === 'answered');
  assert.ok(answered, 'a verification answered');
  assert.equal(result.verifications[0]?.contexts, 8, 'the probe of eight measured the cost of a context');
  assert.equal(answered.contexts, result.maxContexts);
  assert.equal(answered.answered, result.maxContexts, 'every slot answered its full-context request');
  assert.ok(answered.peakMemoryBytes !== undefined && answered.peakMemoryBytes <= memoryBytes);
  t.diagnostic(`peak with ${answered.contexts} contexts filled: ${formatBytes(answered.peakMemoryBytes)}`);
  const config = parse(readFileSync(join(dir, 'config.yaml'), 'utf8'));
  assert.deepEqual(config.compute.maxContexts['llamacpp/1cpu-96MiB'], {
    value: result.maxContexts,
    contextTokens: 512,
    calibratedAt: result.calibratedAt,
  });
  assert.deepEqual(await runtime.listManaged({ 'kitt.run-id': runId }), [], 'every container was removed');
});
