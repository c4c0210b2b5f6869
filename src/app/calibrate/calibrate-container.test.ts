import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CalibrationPolicy } from '../../calibrate/plan-next-window.js';
import type { ContainerSample } from '../../calibrate/summarize-window.js';
import { KittError } from '../../core/errors.js';
import { silentProgress } from '../../core/progress.js';
import type { EngineExit, RunningEngine } from '../../engines/engine.js';
import type { RequestRecord } from '../../metrics/request-record.js';
import { ManualClock } from '../../testing/manual-clock.js';
import { type CalibrationPorts, calibrateContainer, formatCalibrationTable, limitsKey } from './calibrate-container.js';

/**
 * A simulated engine behind the real use case: a server of capacity `capacity` req/s whose CPU is
 * linear in the served rate. The load port produces the records an open-loop client would see.
 */
function simulatedPorts(capacity: number, options: { oomAbove?: number } = {}) {
  const clock = new ManualClock(0);
  let stopped = 0;
  let resolveExit: (exit: EngineExit) => void = () => {};
  let currentRate = 0;
  const engine: RunningEngine = {
    name: 'llamacpp',
    mode: 'docker',
    api: 'openai',
    baseUrl: 'http://127.0.0.1:1',
    servedModel: 'test',
    handle: 'sim',
    limits: { cpus: 1, memoryBytes: 512 * 1024 ** 2 },
    exited: new Promise((resolve) => {
      resolveExit = resolve;
    }),
    logTail: async () => '',
    stop: async () => {
      stopped += 1;
      return { name: 'llamacpp', exit: { exitCode: 0, signal: null, oomKilled: false, reason: 'stopped' } };
    },
    [Symbol.asyncDispose]: async () => {},
  };
  const ports: CalibrationPorts = {
    clock,
    startEngine: async () => engine,
    runWindow: async (_engine, window) => {
      currentRate = window.ratePerS;
      if (options.oomAbove !== undefined && window.ratePerS > options.oomAbove) {
        resolveExit({ exitCode: 137, signal: null, oomKilled: true, reason: 'OOM-killed' });
        await new Promise((r) => setTimeout(r, 5));
        return [];
      }
      const start = clock.nowMs();
      const served = Math.min(window.ratePerS, capacity);
      const n = Math.round((window.ratePerS * window.durationMs) / 1000);
      const records: RequestRecord[] = Array.from({ length: n }, (_, i) => {
        const scheduledAtMs = start + (i * 1000) / window.ratePerS;
        const endAtMs = start + 200 + (i * 1000) / served;
        return {
          id: i,
          phase: 'measure',
          stage: 0,
          scheduledAtMs,
          sentAtMs: scheduledAtMs,
          headersAtMs: scheduledAtMs + 10,
          firstContentAtMs: scheduledAtMs + 50,
          firstReasoningAtMs: null,
          lastContentAtMs: endAtMs - 1,
          endAtMs,
          promptTokens: 10,
          outputTokens: 16,
          outputTokenSource: 'usage',
          clientCountedTokens: 16,
          arrivals: [],
          engine: null,
          error: null,
        };
      });
      clock.advance(window.durationMs);
      return records;
    },
    startSampling: () => ({
      stop: async (): Promise<ContainerSample[]> => {
        const cpu = (100 * Math.min(currentRate, capacity)) / capacity;
        return [0, 1, 2, 3].map((i) => ({ atMs: i * 500, cpuPercentOfLimit: cpu, memoryBytes: 100e6 }));
      },
    }),
  };
  return { ports, stoppedCount: () => stopped };
}

const policy: CalibrationPolicy = {
  objective: 'cpu',
  cpuBand: { low: 80, high: 90 },
  startRate: 1,
  minRate: 0.05,
  maxRate: 1000,
  maxWindows: 10,
};

function requestIn(dir: string) {
  return {
    engine: {
      engine: 'llamacpp' as const,
      mode: 'docker' as const,
      modelPath: '/models/test.gguf',
      limits: { cpus: 1, memoryBytes: 512 * 1024 ** 2 },
      engineArgs: [],
      runId: 'test',
    },
    modelLabel: 'test.gguf',
    policy,
    windowMs: 4000,
    soakMs: 8000,
    resultDir: dir,
  };
}

test('calibrates a simulated engine, stops it, and reports every window with its reason', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kitt-calibrate-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const { ports, stoppedCount } = simulatedPorts(6);
  let saved: unknown;
  const result = await calibrateContainer(
    requestIn(dir),
    {
      ...ports,
      saveCalibration: async (r) => {
        saved = r;
      },
    },
    { signal: new AbortController().signal, progress: silentProgress },
  );
  assert.equal(result.outcome, 'calibrated');
  assert.ok(result.rate! > 6 * 0.9 * 0.95 && result.rate! <= 6 * 0.9, `rate ${result.rate}`);
  assert.equal(result.held, true);
  assert.equal(result.rateKey, 'llamacpp/1cpu-512MiB');
  assert.ok(result.windows.every((w) => w.why.length > 0 && w.reasons.length > 0));
  assert.equal(result.windows.at(-1)!.kind, 'soak');
  assert.ok(result.windows.at(-1)!.measurement.cpuPercentOfLimit! <= 90);
  assert.equal(stoppedCount(), 1);
  assert.equal(saved, result);
  const md = await readFile(join(dir, 'calibration.md'), 'utf8');
  assert.equal(md.match(/^\d+\. (probe|soak) at/gm)?.length, result.windows.length);
  const json = JSON.parse(await readFile(join(dir, 'calibration.json'), 'utf8'));
  assert.equal(json.windows.length, result.windows.length);
  assert.equal(typeof json.host.eventLoopDelayP99Ms, 'number', 'host responsiveness is recorded');
  // noise-free CPU = 100 · served / 6: the line meets 90 % at 5.4 with no spread
  assert.equal(json.estimate.status, 'estimated');
  assert.ok(Math.abs(json.estimate.rate - 5.4) < 0.05, `estimate ${json.estimate.rate}`);
  assert.deepEqual(json.precision, { reached: result.precision.reached });
  assert.match(md, /^- interval: CPU reaches 90 % at 5\.\d+ req\/s \(95 % interval/m);
  assert.equal(formatCalibrationTable(result).split('\n').length, result.windows.length + 1);
});

test('an OOM kill becomes OOM_KILLED naming the limit, with the report written and the engine stopped', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kitt-calibrate-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const { ports, stoppedCount } = simulatedPorts(6, { oomAbove: 3 });
  await assert.rejects(
    calibrateContainer(requestIn(dir), ports, { signal: new AbortController().signal, progress: silentProgress }),
    (error: unknown) => error instanceof KittError && error.code === 'OOM_KILLED' && /512\.0 MiB/.test(error.message),
  );
  assert.equal(stoppedCount(), 1);
  const json = JSON.parse(await readFile(join(dir, 'calibration.json'), 'utf8'));
  assert.equal(json.outcome, 'failed');
  assert.equal(json.windows.at(-1).verdict, 'oom');
});

test('an interrupt stops the engine and rejects with the abort reason', async () => {
  const { ports, stoppedCount } = simulatedPorts(6);
  const controller = new AbortController();
  controller.abort(new KittError('INTERRUPTED', 'interrupted by SIGINT'));
  await assert.rejects(
    calibrateContainer(requestIn(join(tmpdir(), 'kitt-unused')), ports, {
      signal: controller.signal,
      progress: silentProgress,
    }),
    (error: unknown) => error instanceof KittError && error.code === 'INTERRUPTED',
  );
  assert.equal(stoppedCount(), 1);
});

test('names limits profiles stably', () => {
  assert.equal(limitsKey({ cpus: 0.5, memoryBytes: 2 * 1024 ** 3 }), '0.5cpu-2GiB');
  assert.equal(limitsKey({ cpus: 2 }), '2cpu');
  assert.equal(limitsKey({}), 'nolimit');
});

test('with a precision asked, reports it beside the precision reached', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kitt-calibrate-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const { ports } = simulatedPorts(6);
  const request = { ...requestIn(dir), policy: { ...policy, precision: 0.05 } };
  const result = await calibrateContainer(request, ports, {
    signal: new AbortController().signal,
    progress: silentProgress,
  });
  assert.equal(result.precision.asked, 0.05);
  assert.ok(
    result.precision.reached !== undefined && result.precision.reached <= 0.05,
    JSON.stringify(result.precision),
  );
  const md = await readFile(join(dir, 'calibration.md'), 'utf8');
  assert.match(md, /^- interval: .*; asked ±5\.0 %\)$/m);
});

test('earlier calibrations of the same key and model widen the interval for another run, and the report says so', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kitt-calibrate-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const { ports } = simulatedPorts(6);
  const asked: string[] = [];
  const result = await calibrateContainer(
    requestIn(dir),
    {
      ...ports,
      earlierEstimates: async (engine, key, model) => {
        asked.push(`${engine} ${key} ${model}`);
        return [5.0, 5.4, 5.8];
      },
    },
    { signal: new AbortController().signal, progress: silentProgress },
  );
  assert.deepEqual(asked, ['llamacpp 1cpu-512MiB test.gguf']);
  assert.equal(result.earlierCalibrations, 3);
  assert.equal(result.estimate.status, 'estimated');
  const across = result.acrossRuns!;
  assert.ok(Math.abs(across.drift.relativeSd - 0.4 / 5.4) < 1e-9, `drift ${across.drift.relativeSd}`);
  if (result.estimate.status !== 'estimated') return;
  assert.ok(across.low < result.estimate.low && across.high > result.estimate.high, 'wider than the run’s own');
  const md = await readFile(join(dir, 'calibration.md'), 'utf8');
  assert.match(
    md,
    /across runs: another run on this host: \d\.\d+–\d\.\d+ req\/s \(±\d+\.\d %; 3 earlier calibrations scatter 7\.4 %\)/,
  );
});

test('without earlier calibrations the report says what is needed to know the drift', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kitt-calibrate-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const { ports } = simulatedPorts(6);
  const result = await calibrateContainer(
    requestIn(dir),
    { ...ports, earlierEstimates: async () => [5.1] },
    { signal: new AbortController().signal, progress: silentProgress },
  );
  assert.equal(result.acrossRuns, undefined);
  assert.equal(result.earlierCalibrations, 1);
  const md = await readFile(join(dir, 'calibration.md'), 'utf8');
  assert.match(md, /across runs: not known yet: 1 earlier calibration of this engine, limits and model \(2 are needed/);
});
