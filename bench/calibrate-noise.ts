/**
 * How noisy is one calibration window, and what does that noise do to the controller?
 *
 * 1. Engine (needs Docker and kitt/llama-server:cpu): windows at one fixed rate against the real
 *    llama.cpp container, at 4 s and 10 s. For each, the window's CPU as calibration reads it (the
 *    stats stream) and the CPU each request cost from the container's cumulative CPU counter read
 *    once before and once after the window (one-shot stats), so a measurement artefact and a real
 *    change in the engine's cost can be told apart. Prints the coefficient of variation.
 * 2. Controller (pure, no Docker): the real controller (planNextWindow) against a linear engine
 *    whose CPU per window carries multiplicative noise of 1–12 %, 200 seeded draws each; the share
 *    of calibrations that land within ±5 % of the true knee, and the error percentiles.
 *
 *   node --import tsx bench/calibrate-noise.ts [--cpus 0.5] [--rate 5] [--windows 6] [--cpuset 1] [--simulate-only]
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import { type CalibrationPolicy, planNextWindow, type WindowRecord } from '../src/calibrate/plan-next-window.js';
import type { RunningEngine } from '../src/engines/engine.js';
import { seededRandom } from '../src/testing/exact-statistics.js';
import { type BenchPorts, llamaCppRequest, measureWindow, openBenchPorts } from './calibration-bench.js';

const { values } = parseArgs({
  options: {
    cpus: { type: 'string', default: '0.5' },
    rate: { type: 'string', default: '5' },
    windows: { type: 'string', default: '6' },
    'simulate-only': { type: 'boolean', default: false },
    /** Pin the container to these host CPUs and kitt to the others (docker update --cpuset-cpus, taskset). */
    cpuset: { type: 'string' },
  },
});

const policy: CalibrationPolicy = {
  objective: 'cpu',
  cpuBand: { low: 80, high: 90 },
  startRate: 1,
  minRate: 0.05,
  maxRate: 10_000,
  maxWindows: 10,
  soak: true,
};

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Standard deviation over mean, in %. */
function variation(xs: readonly number[]): number {
  const m = mean(xs);
  return (Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1)) / m) * 100;
}

async function engineNoise(): Promise<void> {
  const cpus = Number(values.cpus);
  const rate = Number(values.rate);
  const count = Number(values.windows);
  const bench = await openBenchPorts('kitt-bench-noise-');
  const ports = bench.ports;
  const request = await llamaCppRequest(cpus);
  const engine = await ports.startEngine(request, new AbortController().signal);
  const docker = new Docker();
  try {
    if (values.cpuset !== undefined) await pin(docker, engine, values.cpuset);
    const pinned = values.cpuset === undefined ? '' : `, pinned to CPU ${values.cpuset}`;
    console.log(`llama.cpp container, --cpus ${cpus}${pinned}, constant ${rate} req/s, ${count} windows each`);
    for (const windowMs of [4000, 10_000]) {
      const sampled: number[] = [];
      const counted: number[] = [];
      for (let i = 0; i < count; i++)
        sampled.push(...(await oneWindow(engine, docker, ports, rate, windowMs, counted)));
      console.log(
        `  ${windowMs / 1000} s windows: CPU from the stats stream ${sampled.map((x) => x.toFixed(1)).join(', ')} % ` +
          `(variation ${variation(sampled).toFixed(1)} %); CPU per request from the counters ` +
          `${counted.map((x) => x.toFixed(1)).join(', ')} ms (variation ${variation(counted).toFixed(1)} %)`,
      );
    }
  } finally {
    await engine.stop();
    await bench.close();
  }
}

async function oneWindow(
  engine: RunningEngine,
  docker: Docker,
  ports: BenchPorts,
  rate: number,
  windowMs: number,
  costs: number[],
): Promise<number[]> {
  // one-shot: the daemon answers at once with the cumulative counters, without its 1 s precpu wait
  const cpuNs = async () => {
    const stats = (await docker.getContainer(engine.handle).stats({ stream: false, 'one-shot': true } as {
      stream: false;
    })) as { cpu_stats: { cpu_usage: { total_usage: number } } };
    return stats.cpu_stats.cpu_usage.total_usage;
  };
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const before = await cpuNs();
  const window = await measureWindow(ports, engine, rate, windowMs);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const after = await cpuNs();
  const completed = window.completed;
  costs.push((after - before) / 1e6 / Math.max(1, completed));
  return window.cpuPercentOfLimit === undefined ? [] : [window.cpuPercentOfLimit];
}

/** The container on `cpuset`, this process on every other host CPU: neither migrates onto the other. */
async function pin(docker: Docker, engine: RunningEngine, cpuset: string): Promise<void> {
  await docker.getContainer(engine.handle).update({ CpusetCpus: cpuset });
  const mine = Array.from({ length: availableParallelism() }, (_, i) => String(i)).filter(
    (cpu) => !cpuset.split(',').includes(cpu),
  );
  execFileSync('taskset', ['-a', '-p', '-c', mine.join(','), String(process.pid)], { stdio: 'ignore' });
}

function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** The controller against CPU = 100·r/c with multiplicative noise (a soak, twice as long, has 1/√2 of it). */
function simulate(noisePercent: number, draws = 200): void {
  const capacity = 7.5;
  const truth = 0.9 * capacity;
  const errors: number[] = [];
  let failed = 0;
  for (let seed = 1; seed <= draws; seed++) {
    const random = seededRandom(seed);
    const history: WindowRecord[] = [];
    for (let step = 0; step < 40; step++) {
      const plan = planNextWindow(history, policy);
      if (plan.action === 'fail') {
        failed++;
        break;
      }
      if (plan.action === 'done') {
        errors.push((plan.rate / truth - 1) * 100);
        break;
      }
      const kind = plan.action === 'try' ? 'probe' : 'soak';
      const noise = (kind === 'soak' ? noisePercent / Math.SQRT2 : noisePercent) / 100;
      const cpu = Math.min(100, ((100 * plan.rate) / capacity) * (1 + normal(random) * noise));
      const achieved = Math.min(plan.rate, capacity) * (1 + normal(random) * 0.01);
      history.push({
        kind,
        rate: plan.rate,
        measurement: {
          offeredRate: plan.rate,
          achievedRate: achieved,
          cpuPercentOfLimit: cpu,
          errorRatio: 0,
          requests: Math.round(plan.rate * 4),
          oomKilled: false,
        },
      });
    }
  }
  const sorted = [...errors].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.floor(q * (sorted.length - 1))]!.toFixed(1);
  const within = errors.filter((e) => Math.abs(e) <= 5).length;
  console.log(
    `  noise ${String(noisePercent).padStart(2)} %: within ±5 % in ${((within / draws) * 100).toFixed(0).padStart(3)} % of ${draws}; ` +
      `error p10 ${at(0.1)} %, p50 ${at(0.5)} %, p90 ${at(0.9)} %; failed ${failed}`,
  );
}

if (!values['simulate-only']) await engineNoise();
console.log('controller on a linear engine, CPU noise per window (sd / mean), 80–90 % band, ≤ 10 probes:');
for (const noise of [1, 4, 8, 12]) simulate(noise);
