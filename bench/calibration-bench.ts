/**
 * What the calibration benches share: calibration's own ports in a throwaway home, the llama.cpp
 * container request at a CPU limit, and one window measured exactly as calibration measures it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { samplesWithin } from '../src/app/calibrate/calibrate-container.js';
import { createCalibrationPorts } from '../src/app/calibrate/calibrate-ports.js';
import { summarizeWindow } from '../src/calibrate/summarize-window.js';
import type { JudgedWindow, WindowMeasurement } from '../src/calibrate/window-verdict.js';
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

/** The llama.cpp container with the synthetic tiny model, 1 GiB and `cpus` CPUs (⌊cpus⌋ threads, as every launch under a quota). */
export async function llamaCppRequest(cpus: number): Promise<EngineRequest> {
  return {
    engine: 'llamacpp',
    mode: 'docker',
    modelPath: await ensureTestModel(),
    limits: { cpus, memoryBytes: 2 ** 30, memorySwapBytes: 2 ** 30 },
    engineArgs: [],
    runId: newRunId(),
    port: await freePort(),
  };
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

/** One sweep window: its rate, what it measured, and the verdict calibration would give it. */
export interface SweepPoint {
  readonly rate: number;
  readonly measurement: WindowMeasurement;
  readonly judged: JudgedWindow;
}

/**
 * The exhaustive sweep: a coarse ×1.25 ladder from `startRate` until a window is bad, then 2.5 %
 * steps across [last good / 1.1, first bad · 1.05]. The knee is the highest good rate below the
 * lowest bad one of the fine steps.
 */
export async function sweepRates(
  measure: (rate: number) => Promise<SweepPoint>,
  options: { readonly startRate: number; readonly maxRate: number; readonly log?: (line: string) => void },
): Promise<{ knee: number | undefined; points: SweepPoint[] }> {
  const points: SweepPoint[] = [];
  let rate = options.startRate;
  let lastGood = rate;
  let firstBad: number | undefined;
  while (firstBad === undefined && rate <= options.maxRate) {
    const point = await measure(rate);
    points.push(point);
    options.log?.(`coarse${sweepRow(point)}`);
    if (point.judged.good) lastGood = rate;
    else firstBad = rate;
    rate *= 1.25;
  }
  const top = (firstBad ?? rate) * 1.05;
  const fine: SweepPoint[] = [];
  for (let r = lastGood / 1.1; r <= top; r *= 1.025) {
    const point = await measure(r);
    fine.push(point);
    options.log?.(`fine  ${sweepRow(point)}`);
  }
  points.push(...fine);
  const lowestBad = fine.find((p) => !p.judged.good)?.rate ?? Number.POSITIVE_INFINITY;
  const knee = fine.filter((p) => p.judged.good && p.rate < lowestBad).at(-1)?.rate;
  return { knee, points };
}

/** A sweep or calibration window as one log line. */
export function sweepRow(p: SweepPoint): string {
  const m = p.measurement;
  return `  ${p.rate.toFixed(2).padStart(7)} req/s  achieved ${m.achievedRate.toFixed(2).padStart(6)}  CPU ${(m.cpuPercentOfLimit ?? Number.NaN).toFixed(1).padStart(5)} %  ${p.judged.verdict}: ${p.judged.reasons.join('; ')}`;
}
