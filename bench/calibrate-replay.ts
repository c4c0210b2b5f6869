/**
 * Is the spread of calibrations the estimator's or the host's? Replays the windows a run of
 * calibrate-confidence.ts saved (`--save`) through kitt's estimator and through alternatives, and
 * prints, for each, the knees of the sweeps and the estimates of the calibrations with their CV.
 * An estimator that only moves both together cannot make calibrations steadier than the sweeps.
 *
 *   node --import tsx bench/calibrate-replay.ts [windows.json]
 *
 * Default input: bench/data/calibrate-confidence-2026-12-03.json (the quiet-host run of that date in
 * docs/calibrate.md). Needs no Docker.
 */
import { readFileSync } from 'node:fs';
import { estimateRate, invertRegression, type Point, rateFitPoints } from '../src/calibrate/estimate-rate.js';
import type { CalibrationPolicy, WindowRecord } from '../src/calibrate/plan-next-window.js';
import { repeatStatistic } from '../src/metrics/summarize-repeats.js';

interface Saved {
  readonly policy: CalibrationPolicy;
  readonly sweeps: ReadonlyArray<{ readonly windows: readonly WindowRecord[] }>;
  readonly calibrations: ReadonlyArray<{ readonly windows: readonly WindowRecord[] }>;
}

const file = process.argv[2] ?? new URL('./data/calibrate-confidence-2026-12-03.json', import.meta.url).pathname;
const saved = JSON.parse(readFileSync(file, 'utf8')) as Saved;
const { policy } = saved;
const target = policy.cpuBand.high;

/** The windows estimateRate fits, as (served rate, CPU %), its weights left for each estimator to set. */
function usable(windows: readonly WindowRecord[]): Array<{ x: number; y: number }> {
  return rateFitPoints(windows, policy).map(({ x, y }) => ({ x, y }));
}

function fitRate(points: readonly Point[], y0 = target): number | undefined {
  const fit = invertRegression(points, y0);
  return typeof fit === 'string' ? undefined : fit.rate;
}

/** Tukey's bisquare (c = 4.685 · MAD / 0.6745), 20 reweightings on top of the 1/x² weights. */
function bisquare(points: ReadonlyArray<{ x: number; y: number }>): number | undefined {
  const base = points.map((p) => 1 / p.x ** 2);
  let weights = base;
  let rate: number | undefined;
  for (let i = 0; i < 20; i++) {
    const fit = invertRegression(
      points.map((p, j) => ({ ...p, w: weights[j]! })),
      target,
    );
    if (typeof fit === 'string') return undefined;
    rate = fit.rate;
    const residuals = points.map((p, j) => (p.y - fit.fit.intercept - fit.fit.slope * p.x) * Math.sqrt(base[j]!));
    const sorted = residuals.map(Math.abs).sort((a, b) => a - b);
    const c = (4.685 * sorted[Math.floor(sorted.length / 2)]!) / 0.6745;
    weights = base.map((w, j) => (Math.abs(residuals[j]!) < c ? w * (1 - (residuals[j]! / c) ** 2) ** 2 : 0));
  }
  return rate;
}

const estimators: ReadonlyArray<readonly [string, (windows: readonly WindowRecord[]) => number | undefined]> = [
  [
    "kitt's (1/x² weights)",
    (ws) => {
      const e = estimateRate(ws, policy);
      return e.status === 'estimated' ? e.rate : undefined;
    },
  ],
  ['unweighted', (ws) => fitRate(usable(ws).map((p) => ({ ...p, w: 1 })))],
  ['1/CPU² weights', (ws) => fitRate(usable(ws).map((p) => ({ ...p, w: 1 / p.y ** 2 })))],
  [
    'log–log',
    (ws) => {
      const rate = fitRate(
        usable(ws).map((p) => ({ x: Math.log(p.x), y: Math.log(Math.min(p.y, 100)), w: 1 })),
        Math.log(target),
      );
      return rate === undefined ? undefined : Math.exp(rate);
    },
  ],
  ['bisquare', (ws) => bisquare(usable(ws).map((p) => ({ ...p, y: Math.min(p.y, 100) })))],
  ['CPU capped at 100 %', (ws) => fitRate(usable(ws).map((p) => ({ x: p.x, y: Math.min(p.y, 100), w: 1 / p.x ** 2 })))],
  [
    'windows ≥ 40 % CPU',
    (ws) =>
      fitRate(
        usable(ws)
          .filter((p) => p.y >= 40)
          .map((p) => ({ ...p, w: 1 / p.x ** 2 })),
      ),
  ],
];

function variation(xs: readonly number[]): string {
  const { cv } = repeatStatistic('estimate', 'req/s', xs);
  return cv === null ? '–' : `${(cv * 100).toFixed(1)} %`;
}

const fmt = (r: number | undefined) => (r === undefined ? '–' : r.toFixed(2));
console.log(`calibrate-replay, ${file}: ${saved.sweeps.length} sweeps, ${saved.calibrations.length} calibrations`);
console.log('| estimator | sweeps (fitted knee) | CV | calibrations (estimate) | CV |');
console.log('| --- | --- | --- | --- | --- |');
for (const [name, estimate] of estimators) {
  const sweeps = saved.sweeps.map((s) => estimate(s.windows));
  const calibrations = saved.calibrations.filter((c) => c.windows.length > 0).map((c) => estimate(c.windows));
  const defined = (xs: ReadonlyArray<number | undefined>) => xs.filter((x): x is number => x !== undefined);
  console.log(
    `| ${name} | ${sweeps.map(fmt).join(', ')} | ${variation(defined(sweeps))} | ` +
      `${calibrations.map(fmt).join(', ')} | ${variation(defined(calibrations))} |`,
  );
}
