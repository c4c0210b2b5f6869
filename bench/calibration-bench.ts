/**
 * What the calibration benches share: calibration's own ports in a throwaway home, the llama.cpp
 * container request at a CPU limit, and one window measured exactly as calibration measures it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { samplesWithin, withQuotaThreads } from '../src/app/calibrate/calibrate-container.js';
import { createCalibrationPorts } from '../src/app/calibrate/calibrate-ports.js';
import { summarizeWindow } from '../src/calibrate/summarize-window.js';
import type { WindowMeasurement } from '../src/calibrate/window-verdict.js';
import { newRunId } from '../src/core/ids.js';
import type { EngineRequest, RunningEngine } from '../src/engines/engine.js';
import { freePort } from '../src/testing/free-port.js';
import { ensureTestModel } from '../src/testing/test-model.js';

export type BenchPorts = Awaited<ReturnType<typeof createCalibrationPorts>>;

/** Ports over a fresh KITT_HOME; Ctrl-C closes them (and the engine) before leaving. */
export async function openBenchPorts(
  prefix: string,
): Promise<{ ports: BenchPorts; home: string; close(): Promise<void> }> {
  const home = mkdtempSync(join(tmpdir(), prefix));
  const ports = await createCalibrationPorts({
    home,
    env: { PATH: process.env.PATH, KITT_HOME: home },
    cwd: home,
    configPath: join(home, 'config.yaml'),
    storeUrl: join(home, 'kitt.db'),
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void ports.close().finally(() => process.exit(130)));
  }
  return {
    ports,
    home,
    close: async () => {
      await ports.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** The llama.cpp container with the synthetic tiny model, 1 GiB and `cpus` CPUs. */
export async function llamaCppRequest(cpus: number): Promise<EngineRequest> {
  return withQuotaThreads({
    engine: 'llamacpp',
    mode: 'docker',
    modelPath: await ensureTestModel(),
    limits: { cpus, memoryBytes: 2 ** 30, memorySwapBytes: 2 ** 30 },
    engineArgs: [],
    runId: newRunId(),
    port: await freePort(),
  });
}

/** One constant-rate window, sampled and summarised as calibration does it. */
export async function measureWindow(
  ports: BenchPorts,
  engine: RunningEngine,
  rate: number,
  windowMs: number,
): Promise<WindowMeasurement & { readonly completed: number }> {
  const sampler = ports.startSampling(engine, 500);
  const records = await ports.runWindow(engine, {
    ratePerS: rate,
    durationMs: windowMs,
    drainMs: Math.max(2000, windowMs),
    signal: new AbortController().signal,
  });
  const samples = await sampler.stop();
  const startMs = Math.min(...records.map((r) => r.scheduledAtMs));
  const measurement = summarizeWindow({
    records,
    samples: samplesWithin(samples, startMs, startMs + windowMs),
    startMs,
    endMs: startMs + windowMs,
    unit: 'requests/s',
    oomKilled: false,
  });
  return { ...measurement, completed: records.filter((r) => r.error === null).length };
}
