/**
 * How long kitt takes to start: `kitt --help` and `kitt run --help` from the compiled build, each
 * a fresh process. Prints the wall time around the child and the CPU it used (its own
 * process.cpuUsage() at exit, all threads), min / median / max over the runs. Every command pays
 * this before it does anything.
 *
 * Usage: cd bench && npm run bench:cli-start [-- --runs 7]
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

const ENTRY = resolve(import.meta.dirname, '..', 'dist', 'cli', 'entry.js');
const CPU_AT_EXIT = `data:text/javascript,${encodeURIComponent(
  "process.on('exit', () => { const u = process.cpuUsage(); process.stderr.write('\\nkitt-cpu-us ' + (u.user + u.system) + '\\n'); });",
)}`;

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at === -1 ? undefined : process.argv[at + 1];
}

function startOnce(args: readonly string[]): { wallMs: number; cpuMs: number } {
  const startedAt = performance.now();
  const result = spawnSync(process.execPath, ['--import', CPU_AT_EXIT, ENTRY, ...args], { encoding: 'utf8' });
  const wallMs = performance.now() - startedAt;
  const cpu = /kitt-cpu-us (\d+)/.exec(result.stderr);
  if (result.status !== 0 || !cpu) throw new Error(`kitt ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return { wallMs, cpuMs: Number(cpu[1]) / 1000 };
}

const spread = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.round(q * (sorted.length - 1))]!.toFixed(0);
  return `${at(0)} / ${at(0.5)} / ${at(1)}`;
};

const runs = Number(flag('--runs') ?? '7');
console.log(
  `kitt start — Node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, ${runs} runs each after one warm-up`,
);
console.log('command              wall ms min / median / max   CPU ms min / median / max');
for (const args of [['--help'], ['run', '--help']]) {
  startOnce(args);
  const starts = Array.from({ length: runs }, () => startOnce(args));
  console.log(
    `kitt ${args.join(' ').padEnd(15)}  ${spread(starts.map((s) => s.wallMs)).padEnd(26)}  ${spread(starts.map((s) => s.cpuMs))}`,
  );
}
