/**
 * How close does `kitt calibrate` land to the true knee? Against the real llama.cpp container
 * (kitt/llama-server:cpu, synthetic tiny model) at two CPU limits:
 *
 * 1. an exhaustive sweep of constant rates (a coarse ×1.25 ladder until a window is bad, then 2.5 %
 *    steps across that bracket), each window judged exactly as calibration judges it; the true knee
 *    is the highest good rate below the lowest bad rate of the fine sweep;
 * 2. a calibration with the same window length, at most 10 probe windows, right before and right
 *    after the sweep (the host's speed drifts; the two show by how much);
 * 3. calibrated / knee (the goal: within ±5 %), and calibrated(1.0 CPU) / calibrated(0.5 CPU).
 *
 *   node --import tsx bench/calibrate-knee.ts [--cpus 0.5,1] [--window 4s] [--json out.json]
 *
 * Figures, not a test: it prints a Markdown table for docs/calibrate.md. Needs Docker and the image.
 */
import { writeFileSync } from 'node:fs';
import { cpus as hostCpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { calibrateContainer } from '../src/app/calibrate/calibrate-container.js';
import type { CalibrationPolicy } from '../src/calibrate/plan-next-window.js';
import { judgeWindow } from '../src/calibrate/window-verdict.js';
import { silentProgress } from '../src/core/progress.js';
import { parseDurationMs } from '../src/core/units.js';
import type { RunningEngine } from '../src/engines/engine.js';
import {
  llamaCppRequest,
  measureWindow,
  openBenchPorts,
  type SweepPoint,
  sweepRates,
  sweepRow,
} from './calibration-bench.js';

const { values } = parseArgs({
  options: {
    cpus: { type: 'string', default: '0.5,1' },
    window: { type: 'string', default: '4s' },
    json: { type: 'string' },
  },
});
const cpuLimits = values.cpus.split(',').map(Number);
const windowMs = parseDurationMs(values.window);
const _MiB = 1024 * 1024;
const policy: CalibrationPolicy = {
  objective: 'cpu',
  cpuBand: { low: 80, high: 90 },
  slo: undefined,
  startRate: 1,
  minRate: 1 / 64,
  maxRate: 500,
  maxWindows: 10,
  soak: true,
};

const bench = await openBenchPorts('kitt-bench-knee-');
const ports = bench.ports;
const engineRequest = llamaCppRequest;

/** One window measured and judged exactly as calibration does it. */
async function measure(engine: RunningEngine, rate: number): Promise<SweepPoint> {
  const measurement = await measureWindow(ports, engine, rate, windowMs);
  return { rate, measurement, judged: judgeWindow(measurement, policy) };
}

/**
 * The knee read through the noise: least squares of CPU on rate over every sweep window below the
 * lowest saturated rate, solved for CPU = band top, and capped by that rate. One 4 s window's CPU
 * reading scatters by several points on a shared host; the line averages them.
 */
function fittedKnee(points: readonly SweepPoint[]): number | undefined {
  const saturated = points.filter((p) => p.judged.verdict === 'saturated' || p.judged.verdict === 'error-rate');
  const cap = Math.min(Number.POSITIVE_INFINITY, ...saturated.map((p) => p.rate));
  const kept = points.filter((p) => p.rate < cap && p.measurement.cpuPercentOfLimit !== undefined);
  if (kept.length < 3) return undefined;
  const xs = kept.map((p) => p.rate);
  const ys = kept.map((p) => p.measurement.cpuPercentOfLimit!);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const sxy = xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0);
  const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  if (sxx === 0 || sxy <= 0) return undefined;
  const slope = sxy / sxx;
  return Math.min(cap, mx + (policy.cpuBand.high - my) / slope);
}

/** The exhaustive sweep against a fresh container (calibration-bench.ts), and its fitted knee. */
async function sweep(
  cpus: number,
): Promise<{ knee: number | undefined; fitted: number | undefined; points: SweepPoint[] }> {
  const engine = await ports.startEngine(await engineRequest(cpus), new AbortController().signal);
  try {
    const log = (line: string) => console.error(line);
    const { knee, points } = await sweepRates((rate) => measure(engine, rate), {
      startRate: 2 * cpus,
      maxRate: policy.maxRate,
      log,
    });
    return { knee, fitted: fittedKnee(points), points };
  } finally {
    await engine.stop();
  }
}

interface Calibrated {
  readonly rate: number | undefined;
  readonly probeWindows: number;
  readonly soakWindows: number;
}

async function calibrate(cpus: number, label: string): Promise<Calibrated> {
  const result = await calibrateContainer(
    {
      engine: await engineRequest(cpus),
      modelLabel: 'kitt-synthetic-tiny',
      policy,
      windowMs,
      soakMs: 2 * windowMs,
      resultDir: join(bench.home, `calibration-${cpus}-${label}`),
    },
    ports,
    { signal: new AbortController().signal, progress: silentProgress },
  ).catch((error: Error) => {
    console.error(`calibration failed: ${error.message}`);
    return undefined;
  });
  for (const w of result?.windows ?? []) {
    const judged = { verdict: w.verdict, good: w.good, reasons: w.reasons, margin: 0 };
    console.error(`calib ${sweepRow({ rate: w.rate, measurement: w.measurement, judged })} (${w.kind})`);
  }
  return {
    rate: result?.rate,
    probeWindows: result?.windows.filter((w) => w.kind === 'probe').length ?? 0,
    soakWindows: result?.windows.filter((w) => w.kind === 'soak').length ?? 0,
  };
}

const loadBefore = loadavg();
const startedAt = new Date();
// The host's speed drifts (shared cores), so calibration runs right before and right after the sweep.
const results: Array<{
  cpus: number;
  knee: number | undefined;
  fitted: number | undefined;
  before: Calibrated;
  after: Calibrated;
  sweepWindows: number;
}> = [];
try {
  for (const cpus of cpuLimits) {
    console.error(`\n== ${cpus} CPU: calibration before the sweep`);
    const before = await calibrate(cpus, 'before');
    console.error(`== ${cpus} CPU: sweep`);
    const { knee, fitted, points } = await sweep(cpus);
    console.error(`knee ${knee?.toFixed(2)} req/s (fitted ${fitted?.toFixed(2)}); calibration after the sweep`);
    const after = await calibrate(cpus, 'after');
    results.push({ cpus, knee, fitted, before, after, sweepWindows: points.length });
  }
} finally {
  await bench.close();
}
const loadAfter = loadavg();

const pct = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? '–' : `${(((a - b) / b) * 100).toFixed(1)} %`;
console.log(`calibrate-knee, ${startedAt.toISOString()}, ${hostCpus().length} × ${hostCpus()[0]?.model.trim()}`);
console.log(
  `window ${windowMs / 1000} s, band ${policy.cpuBand.low}–${policy.cpuBand.high} %, 128 prompt + 64 output tokens`,
);
console.log(`host load average before ${loadBefore[0]!.toFixed(2)}, after ${loadAfter[0]!.toFixed(2)} (1 min)\n`);
const windows = (c: Calibrated) => `${c.probeWindows} + ${c.soakWindows}`;
console.log(
  '| CPU limit | knee (sweep) | knee (fitted) | calibrated before | vs knee | windows (probe + soak) | calibrated after | vs knee | windows (probe + soak) | sweep windows |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
const fmtRate = (rate: number | undefined) => (rate === undefined ? '–' : `${rate.toFixed(2)} req/s`);
for (const r of results) {
  console.log(
    `| ${r.cpus} | ${fmtRate(r.knee)} | ${fmtRate(r.fitted)} | ${fmtRate(r.before.rate)} | ${pct(r.before.rate, r.knee)} | ${windows(r.before)} | ${fmtRate(r.after.rate)} | ${pct(r.after.rate, r.knee)} | ${windows(r.after)} | ${r.sweepWindows} |`,
  );
}
const [low, high] = [results.find((r) => r.cpus === 0.5), results.find((r) => r.cpus === 1)];
const ratio = (a: number | undefined, b: number | undefined) => (a && b ? (a / b).toFixed(2) : '–');
if (low && high) {
  console.log(
    `\ncalibrated(1.0 CPU) / calibrated(0.5 CPU) = ${ratio(high.before.rate, low.before.rate)} (before), ${ratio(high.after.rate, low.after.rate)} (after)`,
  );
  console.log(
    `knee(1.0 CPU) / knee(0.5 CPU) = ${ratio(high.knee, low.knee)} (sweep), ${ratio(high.fitted, low.fitted)} (fitted)`,
  );
}
if (values.json)
  writeFileSync(values.json, `${JSON.stringify({ startedAt, windowMs, loadBefore, loadAfter, results }, null, 2)}\n`);
