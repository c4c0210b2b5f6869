import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { parse } from 'yaml';
import type { CalibrationPolicy } from '../../calibrate/plan-next-window.js';
import { KittError } from '../../core/errors.js';
import { newRunId } from '../../core/ids.js';
import { createDockerRuntime } from '../../runtime/docker/docker-runtime.js';
import { openStore } from '../../store/open-store.js';
import { llamaCppImageReady } from '../../testing/docker-gate.js';
import { freePort } from '../../testing/free-port.js';
import { RecordingProgress } from '../../testing/recording-progress.js';
import { ensureTestModel } from '../../testing/test-model.js';
import { calibrateContainer, formatCalibrationTable, limitsKey } from './calibrate-container.js';
import { createCalibrationPorts } from './calibrate-ports.js';

/**
 * Tier 2, serial (CPU figures need a quiet host): calibration against the real llama.cpp container
 * with the synthetic test model, short windows.
 */
const runtime = createDockerRuntime();
const MiB = 1024 * 1024;

function scratch(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-calibrate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function containersOf(runId: string) {
  return runtime.listManaged({ 'kitt.run-id': runId });
}

// A wide band and a fourth soak: 3 s windows on a shared 2-CPU CI host read CPU with several points
// of noise, and this test checks the mechanics (every window judged, the result held and recorded),
// not the precision that bench/calibrate-knee.ts measures.
const policy: CalibrationPolicy = {
  objective: 'cpu',
  cpuBand: { low: 70, high: 90 },
  maxSoaks: 4,
  slo: undefined,
  startRate: 2,
  minRate: 2 / 64,
  maxRate: 200,
  maxWindows: 8,
  soak: true,
};

/** Real calibration ports whose config, store and kitt home all live in `dir`. */
async function portsIn(t: TestContext, dir: string) {
  const ports = await createCalibrationPorts({
    home: dir,
    env: { PATH: process.env.PATH, KITT_HOME: dir },
    cwd: dir,
    configPath: join(dir, 'config.yaml'),
    storeUrl: join(dir, 'kitt.db'),
  });
  t.after(() => ports.close());
  return ports;
}

test('calibrates the llama.cpp container to a rate that keeps CPU at or below the band, and records it everywhere', async (t) => {
  if (!(await llamaCppImageReady(t))) return;
  const dir = scratch(t);
  const runId = newRunId();
  const memoryBytes = 1024 * MiB;
  const ports = await portsIn(t, dir);
  const resultDir = join(dir, 'result');
  const result = await calibrateContainer(
    {
      engine: {
        engine: 'llamacpp',
        mode: 'docker',
        modelPath: await ensureTestModel(),
        limits: { cpus: 1, memoryBytes, memorySwapBytes: memoryBytes },
        engineArgs: [],
        runId,
        port: await freePort(),
      },
      modelLabel: 'tiny',
      policy,
      windowMs: 3000,
      soakMs: 4000,
      resultDir,
    },
    ports,
    { signal: AbortSignal.timeout(110_000), progress: new RecordingProgress() },
  );
  for (const line of formatCalibrationTable(result).split('\n')) t.diagnostic(line);
  for (const w of result.windows) t.diagnostic(`${w.index} ${w.why} -> ${w.verdict}: ${w.reasons.join('; ')}`);
  t.diagnostic(result.reason);

  assert.equal(result.outcome, 'calibrated', result.reason);
  assert.ok(result.rate !== undefined && result.rate >= policy.minRate && result.rate <= policy.maxRate);
  const probes = result.windows.filter((w) => w.kind === 'probe');
  assert.ok(probes.length <= policy.maxWindows, `${probes.length} probe windows`);
  for (const w of result.windows) {
    assert.ok(w.measurement.cpuPercentOfLimit !== undefined, `window ${w.index}: CPU measured`);
    assert.ok(w.measurement.memoryPeakBytes! > 0 && w.measurement.memoryPeakBytes! < memoryBytes);
    assert.ok(w.measurement.requests > 0, `window ${w.index} sent requests`);
  }
  // The rate it settled on kept the measured CPU inside or below the band: in the soak that held,
  // and on average over every window run at it. One probe window alone may read a point or two
  // over (one window's CPU varies ~10 % on this host, bench/calibrate-noise.ts); the controller
  // judges the mean of the windows at a rate, and so does this test.
  const atRate = result.windows.filter((w) => w.rate === result.rate);
  const soak = atRate.filter((w) => w.kind === 'soak').at(-1);
  assert.ok(soak !== undefined, 'the final rate was soaked');
  assert.ok(
    soak.measurement.cpuPercentOfLimit! <= policy.cpuBand.high,
    `soak CPU ${soak.measurement.cpuPercentOfLimit}`,
  );
  const meanCpu = atRate.reduce((sum, w) => sum + w.measurement.cpuPercentOfLimit!, 0) / atRate.length;
  assert.ok(meanCpu <= policy.cpuBand.high, `mean CPU ${meanCpu} over ${atRate.length} windows at the rate`);
  // a window above the rate was bad: the result is a boundary, not just the start rate
  assert.ok(
    result.windows.some((w) => w.rate > result.rate! && !w.good),
    'some faster window was judged bad',
  );

  const json = JSON.parse(readFileSync(join(resultDir, 'calibration.json'), 'utf8'));
  assert.equal(json.windows.length, result.windows.length);
  const markdown = readFileSync(join(resultDir, 'calibration.md'), 'utf8');
  for (const w of result.windows)
    assert.match(markdown, new RegExp(`^${w.index}\\. ${w.kind} at ${w.rate.toFixed(3)}`, 'm'));

  const config = parse(readFileSync(join(dir, 'config.yaml'), 'utf8'));
  const key = `llamacpp/${limitsKey(result.limits)}`;
  assert.equal(config.compute.rates[key].unit, 'requests/s');
  assert.ok(Math.abs(config.compute.rates[key].value - result.rate) / result.rate < 1e-3);

  const store = await openStore(join(dir, 'kitt.db'));
  try {
    const stored = await store.latestCalibration('llamacpp', limitsKey(result.limits));
    assert.ok(stored);
    assert.equal(stored.runId, runId);
    assert.equal(stored.rateValue, result.rate);
  } finally {
    await store.close();
  }
  assert.deepEqual(await containersOf(runId), []);
});

test('a memory limit too small for llama-server is reported as OOM_KILLED with the limit, and no container is left', async (t) => {
  if (!(await llamaCppImageReady(t))) return;
  const dir = scratch(t);
  const runId = newRunId();
  // 8 MiB: the server is killed while it loads the model (16 MiB is enough for the tiny model)
  const memoryBytes = 8 * MiB;
  const ports = await portsIn(t, dir);
  const started = Date.now();
  await assert.rejects(
    calibrateContainer(
      {
        engine: {
          engine: 'llamacpp',
          mode: 'docker',
          modelPath: await ensureTestModel(),
          limits: { cpus: 1, memoryBytes, memorySwapBytes: memoryBytes },
          engineArgs: [],
          runId,
          port: await freePort(),
        },
        modelLabel: 'tiny',
        policy,
        windowMs: 3000,
        soakMs: 4000,
        resultDir: join(dir, 'result'),
      },
      ports,
      { signal: AbortSignal.timeout(60_000), progress: new RecordingProgress() },
    ),
    (error: unknown) => {
      assert.ok(error instanceof KittError);
      assert.equal(error.code, 'OOM_KILLED');
      assert.match(error.message, /8\.0 MiB/);
      assert.match(error.hint ?? '', /--memory/);
      return true;
    },
  );
  assert.ok(Date.now() - started < 30_000, 'reported promptly, not after a readiness timeout');
  assert.deepEqual(await containersOf(runId), []);
});
