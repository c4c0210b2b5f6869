/**
 * Does a calibration's interval hold the knee, and are calibrations steadier than the sweep?
 *
 * Back to back at one CPU limit (default 1): an exhaustive sweep, five calibrations, another sweep
 * (calibration-bench.ts: the same windows, judged as calibration judges them). Prints each
 * calibration's rate, its estimate of the band top's rate with the 95 % interval, whether each
 * sweep's knee lies inside it (goal: at least 4 of 5), and the calibrations' spread (CV of the
 * estimates, and of the soaked rates) beside the sweeps' between-run spread.
 *
 *   node --import tsx bench/calibrate-confidence.ts [--cpus 1] [--window 4s] [--calibrations 5]
 *     [--sweeps 2] [--max-windows 10] [--precision 5] [--simulate] [--noise 0.1] [--drift 0.05]
 *     [--save windows.json]
 *
 * `--save` writes every window measured (each sweep's and each calibration's, in order) as JSON, so
 * an estimator can be replayed on a real run's windows without running it again.
 * `--simulate` runs the same sequence on the simulated engine (src/calibrate/simulate-calibration.ts:
 * linear CPU, multiplicative noise per window, a CPU quota) without Docker: each run (sweep or
 * calibration) sees the capacity scaled by a normal draw of sd `--drift`, the host's speed moving
 * between runs. Figures, not a test. The real run needs Docker and kitt/llama-server:cpu.
 */
import { writeFile } from 'node:fs/promises';
import { cpus as hostCpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { calibrateContainer } from '../src/app/calibrate/calibrate-container.js';
import { estimateRate, formatPercent, type RateEstimate } from '../src/calibrate/estimate-rate.js';
import { type AcrossRuns, acrossRuns, measureHostDrift } from '../src/calibrate/host-drift.js';
import type { CalibrationPolicy, WindowRecord } from '../src/calibrate/plan-next-window.js';
import { judgeWindow } from '../src/calibrate/window-verdict.js';
import { silentProgress } from '../src/core/progress.js';
import { parseDurationMs } from '../src/core/units.js';
import { repeatStatistic } from '../src/metrics/summarize-repeats.js';
import { seededRandom } from '../src/testing/exact-statistics.js';
import { simulateCalibration, simulateWindow } from '../src/testing/simulate-calibration.js';
import { llamaCppRequest, measureWindow, openBenchPorts, type SweepPoint, sweepRates } from './calibration-bench.js';

const { values } = parseArgs({
  options: {
    cpus: { type: 'string', default: '1' },
    window: { type: 'string', default: '4s' },
    calibrations: { type: 'string', default: '5' },
    sweeps: { type: 'string', default: '2' },
    'max-windows': { type: 'string', default: '10' },
    precision: { type: 'string' },
    simulate: { type: 'boolean', default: false },
    noise: { type: 'string', default: '0.1' },
    drift: { type: 'string', default: '0.05' },
    seed: { type: 'string', default: '1' },
    save: { type: 'string' },
  },
});
const cpus = Number(values.cpus);
const windowMs = parseDurationMs(values.window);
const calibrations = Number(values.calibrations);
const sweeps = Number(values.sweeps);
const policy: CalibrationPolicy = {
  objective: 'cpu',
  cpuBand: { low: 80, high: 90 },
  startRate: 1,
  minRate: 1 / 64,
  maxRate: 500,
  maxWindows: Number(values['max-windows']),
  soak: true,
  ...(values.precision === undefined ? {} : { precision: Number(values.precision) / 100 }),
};

interface Calibrated {
  readonly rate: number | undefined;
  readonly estimate: RateEstimate;
  /** The interval for another run, from the calibrations before this one in this bench (two needed). */
  readonly across?: AcrossRuns | undefined;
  readonly probes: number;
  readonly windows: readonly WindowRecord[];
  /** The knee of this run's engine, known only in simulation. */
  readonly truth?: number;
}

/**
 * A sweep's knee two ways: the step knee (highest good rate below the lowest bad one: a threshold on
 * single noisy windows, so it errs low by about the noise) and the same estimator calibration uses,
 * over the sweep's windows (the quantity the intervals are about).
 */
interface Sweep {
  readonly knee: number | undefined;
  readonly fitted: number | undefined;
  readonly windows: readonly WindowRecord[];
}

function sweepOf(result: { knee: number | undefined; points: readonly SweepPoint[] }): Sweep {
  const windows = result.points.map((p) => ({ kind: 'probe' as const, rate: p.rate, measurement: p.measurement }));
  const fitted = estimateRate(windows, policy);
  return { knee: result.knee, fitted: fitted.status === 'estimated' ? fitted.rate : undefined, windows };
}

/** The run sequence: sweep, the calibrations, sweep (the host drifts; the two sweeps show by how much). */
interface Runner {
  sweep(index: number): Promise<Sweep>;
  calibrate(index: number): Promise<Calibrated>;
  close(): Promise<void>;
}

function simulatedRunner(): Runner {
  const noise = Number(values.noise);
  const drift = Number(values.drift);
  const base = 7.5 * cpus;
  const random = seededRandom(Number(values.seed));
  // Box–Muller: the host's speed for one run
  const capacity = () => base * (1 + drift * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
  return {
    async sweep() {
      const c = capacity();
      const draw = seededRandom(Math.floor(random() * 2 ** 31));
      const result = sweepOf(
        await sweepRates(
          async (rate) => {
            const measurement = simulateWindow(c, noise, rate, draw);
            return { rate, measurement, judged: judgeWindow(measurement, policy) };
          },
          { startRate: 2 * cpus, maxRate: policy.maxRate },
        ),
      );
      const fitted = result.fitted?.toFixed(2);
      console.error(`sweep: true knee ${(0.9 * c).toFixed(2)}, step knee ${result.knee?.toFixed(2)}, fitted ${fitted}`);
      return result;
    },
    async calibrate() {
      const c = capacity();
      const { history, rate } = simulateCalibration(c, noise, Math.floor(random() * 2 ** 31), policy);
      return { ...summarize(history, rate), truth: 0.9 * c };
    },
    async close() {},
  };
}

/** The estimates of this bench's calibrations so far, newest first: the "store" the drift is read from. */
const earlierEstimates: number[] = [];

function summarize(history: readonly WindowRecord[], rate: number | undefined): Calibrated {
  const estimate = estimateRate(history, policy);
  const drift = measureHostDrift(earlierEstimates);
  const across = estimate.status === 'estimated' && drift ? acrossRuns(estimate, drift) : undefined;
  if (estimate.status === 'estimated') earlierEstimates.unshift(estimate.rate);
  return { rate, estimate, across, probes: history.filter((w) => w.kind === 'probe').length, windows: history };
}

async function engineRunner(): Promise<Runner> {
  const bench = await openBenchPorts('kitt-bench-confidence-');
  const ports = bench.ports;
  return {
    async sweep() {
      const engine = await ports.startEngine(await llamaCppRequest(cpus), new AbortController().signal);
      try {
        const measure = async (rate: number) => {
          const measurement = await measureWindow(ports, engine, rate, windowMs);
          return { rate, measurement, judged: judgeWindow(measurement, policy) };
        };
        const log = (line: string) => console.error(line);
        return sweepOf(await sweepRates(measure, { startRate: 2 * cpus, maxRate: policy.maxRate, log }));
      } finally {
        await engine.stop();
      }
    },
    async calibrate(index) {
      const result = await calibrateContainer(
        {
          engine: await llamaCppRequest(cpus),
          modelLabel: 'kitt-synthetic-tiny',
          policy,
          windowMs,
          soakMs: 2 * windowMs,
          resultDir: join(bench.home, `calibration-${index}`),
        },
        ports,
        { signal: new AbortController().signal, progress: silentProgress },
      ).catch((error: Error) => {
        console.error(`calibration failed: ${error.message}`);
        return undefined;
      });
      if (result === undefined)
        return {
          rate: undefined,
          estimate: { status: 'unavailable', reason: 'failed', windows: 0 },
          probes: 0,
          windows: [],
        };
      return summarize(result.windows, result.rate);
    },
    close: () => bench.close(),
  };
}

function variation(xs: readonly number[]): number | undefined {
  return repeatStatistic('estimate', 'req/s', xs).cv ?? undefined;
}

const loadBefore = loadavg();
const startedAt = new Date();
const runner = values.simulate ? simulatedRunner() : await engineRunner();
const sweepResults: Sweep[] = [];
const results: Calibrated[] = [];
try {
  sweepResults.push(await runner.sweep(0));
  for (let i = 0; i < calibrations; i++) results.push(await runner.calibrate(i));
  for (let i = 1; i < sweeps; i++) sweepResults.push(await runner.sweep(i));
} finally {
  await runner.close();
}
const loadAfter = loadavg();
if (values.save !== undefined) {
  const saved = {
    startedAt,
    cpus,
    windowMs,
    policy,
    sweeps: sweepResults.map((s) => ({ knee: s.knee, windows: s.windows })),
    calibrations: results.map((r) => ({ rate: r.rate, windows: r.windows })),
  };
  await writeFile(values.save, `${JSON.stringify(saved, null, 2)}\n`);
}

const fmt = (r: number | undefined) => (r === undefined ? '–' : r.toFixed(2));
const what = values.simulate
  ? `simulated engine, capacity ${7.5 * cpus} req/s, CPU noise ${formatPercent(Number(values.noise))} per window, host drift ${formatPercent(Number(values.drift))} per run`
  : `llama.cpp, --cpus ${cpus}, ${hostCpus().length} × ${hostCpus()[0]?.model.trim()}`;
console.log(`calibrate-confidence, ${startedAt.toISOString()}, ${what}`);
console.log(
  `window ${windowMs / 1000} s, band ${policy.cpuBand.low}–${policy.cpuBand.high} %, at most ${policy.maxWindows} probe windows` +
    (policy.precision === undefined ? '' : `, --precision ${formatPercent(policy.precision)}`),
);
if (!values.simulate)
  console.log(`host load average before ${loadBefore[0]!.toFixed(2)}, after ${loadAfter[0]!.toFixed(2)} (1 min)`);
console.log(
  `sweep knees (step): ${sweepResults.map((s) => fmt(s.knee)).join(', ')}; fitted: ${sweepResults.map((s) => fmt(s.fitted)).join(', ')} req/s\n`,
);
// the references each interval is checked against: every sweep's step knee, then its fitted knee
const references = [
  ...(values.simulate ? [{ name: 'own true knee', rate: undefined as number | undefined, own: true }] : []),
  ...sweepResults.map((s, j) => ({ name: `sweep ${j + 1} step knee`, rate: s.knee })),
  ...sweepResults.map((s, j) => ({ name: `sweep ${j + 1} fitted`, rate: s.fitted })),
];
console.log(
  `| # | calibrated | band top (estimate) | 95 % interval | ± | across runs | ± | probes | ${references.map((r) => `${r.name} inside (across)`).join(' | ')} |`,
);
console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | ${references.map(() => '---').join(' | ')} |`);
const inside = references.map(() => 0);
const insideAcross = references.map(() => 0);
const withAcross = results.filter((r) => r.across).length;
results.forEach((r, i) => {
  const e = r.estimate;
  const a = r.across;
  const holds = references.map((ref, j) => {
    const k = 'own' in ref ? r.truth : ref.rate;
    const yes = e.status === 'estimated' && k !== undefined && e.low <= k && k <= e.high;
    const acrossYes = a !== undefined && k !== undefined && a.low <= k && k <= a.high;
    if (yes) inside[j]! += 1;
    if (acrossYes) insideAcross[j]! += 1;
    return `${yes ? 'yes' : 'no'}${a ? ` (${acrossYes ? 'yes' : 'no'})` : ''}`;
  });
  const interval = e.status === 'estimated' ? `${fmt(e.low)}–${fmt(e.high)}` : `none: ${e.reason}`;
  const half = e.status === 'estimated' ? formatPercent(e.relativeHalfWidth) : '–';
  const point = e.status === 'estimated' ? fmt(e.rate) : '–';
  const across = a ? `${fmt(a.low)}–${fmt(a.high)} | ${formatPercent(a.relativeHalfWidth)}` : '– | –';
  console.log(
    `| ${i + 1} | ${fmt(r.rate)} | ${point} | ${interval} | ${half} | ${across} | ${r.probes} | ${holds.join(' | ')} |`,
  );
});
const estimates = results.flatMap((r) => (r.estimate.status === 'estimated' ? [r.estimate.rate] : []));
const rates = results.flatMap((r) => (r.rate === undefined ? [] : [r.rate]));
const defined = (xs: ReadonlyArray<number | undefined>) => xs.filter((x): x is number => x !== undefined);
const cv = (xs: readonly number[]) => {
  const v = variation(xs);
  return v === undefined ? '–' : formatPercent(v);
};
console.log(
  `\ninside the interval (goal: at least 4 of 5): ${references.map((r, j) => `${r.name} ${inside[j]} of ${results.length}`).join(', ')}`,
);
console.log(
  `inside the across-runs interval (calibrations 3 on, which have two before them): ${references.map((r, j) => `${r.name} ${insideAcross[j]} of ${withAcross}`).join(', ')}`,
);
console.log(
  `spread (goal: the calibrations' no larger than the sweeps'): CV of the estimates ${cv(estimates)}, of the calibrated rates ${cv(rates)}; ` +
    `between the sweeps: step knees ${cv(defined(sweepResults.map((s) => s.knee)))}, fitted ${cv(defined(sweepResults.map((s) => s.fitted)))}`,
);
