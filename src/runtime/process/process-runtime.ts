import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KittError } from '../../core/errors.js';
import { shortId } from '../../core/ids.js';
import { makeDirs } from '../../core/kitt-home.js';
import type { ExitInfo, StatsSample, StopOptions } from '../container-runtime.js';
import { currentOwner, formatOwner, isOwnerAlive, parseOwner } from '../owner.js';
import { CLOCK_TICKS_PER_SECOND, readProc, readProcessGroup } from './proc-stats.js';

/** A host process to start (native mode): an engine server such as llama-server or vllm serve. */
export interface ProcessSpec {
  /** Used in the pidfile name and messages, e.g. "llamacpp". */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Added to kitt's own environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** The CPU budget in cores that CPU % of limit is measured against (not enforced natively). */
  readonly cpus?: number;
  /** Recorded as the memory limit in stats (not enforced natively). */
  readonly memoryBytes?: number;
  /** Lines of output kept for logsTail. Default 500. */
  readonly keepLogLines?: number;
}

/** A started host process. The process leads its own group; stop signals the whole group. */
export interface ProcessRef {
  readonly pid: number;
  readonly name: string;
}

interface Tracked {
  readonly spec: ProcessSpec;
  readonly child: ChildProcess;
  readonly exited: Promise<ExitInfo>;
  readonly log: string[];
  readonly pidfile: string;
}

const DEFAULT_GRACE_MS = 10_000;

/**
 * Runs engines as host processes. Each child gets its own process group (so its workers are
 * stopped with it) and a pidfile under `<kitt home>/run/`: kill -9 of kitt runs no cleanup, so
 * the next ProcessRuntime reaps groups whose kitt owner is gone (reapStale).
 */
export class ProcessRuntime {
  private readonly tracked = new Map<number, Tracked>();
  private readonly runDir: string;

  constructor(options: { readonly home: string }) {
    this.runDir = join(options.home, 'run');
  }

  async start(spec: ProcessSpec): Promise<ProcessRef> {
    makeDirs(this.runDir);
    const child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      detached: true, // its own process group: group signals reach the workers it forks
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // events.once rejects on 'error', which is exactly the failure to report
    const outcome = await once(child, 'spawn').then(
      () => undefined,
      (error: NodeJS.ErrnoException) => error,
    );
    if (outcome) {
      throw new KittError('ENGINE_FAILED', `cannot start ${spec.command}: ${outcome.code ?? outcome.message}`, {
        hint:
          outcome.code === 'ENOENT'
            ? `install ${spec.command} or put it on PATH, or use --mode docker`
            : 'check the executable’s permissions',
        cause: outcome,
      });
    }
    const pid = child.pid!;
    const log: string[] = [];
    const keep = spec.keepLogLines ?? 500;
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.setEncoding('utf8');
      let partial = '';
      stream.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        log.push(...lines);
        if (log.length > keep) log.splice(0, log.length - keep);
      });
    }
    const pidfile = join(this.runDir, `${spec.name}-${pid}-${shortId(2)}.json`);
    writeFileSync(
      pidfile,
      JSON.stringify({ pid, startTime: readProc(pid)?.startTime, owner: formatOwner(currentOwner()), spec }),
    );
    const exited = once(child, 'exit').then(([code, signal]) => {
      rmSync(pidfile, { force: true });
      return processExitInfo(code as number | null, signal as NodeJS.Signals | null);
    });
    this.tracked.set(pid, { spec, child, exited, log, pidfile });
    return { pid, name: spec.name };
  }

  /** Resolves when the process exits. */
  wait(ref: ProcessRef): Promise<ExitInfo> {
    return this.get(ref).exited;
  }

  logsTail(ref: ProcessRef, lines = 50): string {
    return this.get(ref).log.slice(-lines).join('\n');
  }

  /** SIGTERM to the group, SIGKILL after the grace period. Idempotent. */
  async stop(ref: ProcessRef, options: StopOptions = {}): Promise<ExitInfo> {
    const { child, exited } = this.get(ref);
    if (child.exitCode === null && child.signalCode === null) {
      signalGroup(ref.pid, 'SIGTERM');
      const grace = sleep(options.graceMs ?? DEFAULT_GRACE_MS, 'timeout' as const);
      if ((await Promise.race([exited, grace])) === 'timeout') signalGroup(ref.pid, 'SIGKILL');
    }
    const exit = await exited;
    signalGroup(ref.pid, 'SIGKILL'); // workers that ignored SIGTERM and outlived their leader
    return exit;
  }

  /**
   * Readings every `intervalMs` from /proc over the whole process group, until the process exits or
   * `signal` aborts. CPU % of limit is against spec.cpus (the host's CPUs when unset).
   */
  async *stats(ref: ProcessRef, signal?: AbortSignal, intervalMs = 1000): AsyncIterable<StatsSample> {
    const { spec, child } = this.get(ref);
    const hostCpus = availableParallelism();
    const budget = spec.cpus ?? hostCpus;
    let previous = { ticks: groupTicks(ref.pid), atMs: performance.now() };
    while (!signal?.aborted && child.exitCode === null && child.signalCode === null) {
      await sleep(intervalMs, undefined, { signal }).catch(() => undefined);
      const group = readProcessGroup(ref.pid);
      if (signal?.aborted || group.length === 0) return;
      const now = { ticks: group.reduce((sum, p) => sum + p.cpuTicks, 0), atMs: performance.now() };
      // cores = CPU seconds used / wall seconds elapsed
      const cores =
        Math.max(0, now.ticks - previous.ticks) / CLOCK_TICKS_PER_SECOND / ((now.atMs - previous.atMs) / 1000);
      previous = now;
      yield {
        atMs: now.atMs,
        cpuCores: cores,
        cpuPercentOfLimit: (cores / budget) * 100,
        cpuPercentOfHost: (cores / hostCpus) * 100,
        throttledPeriods: 0,
        throttledTimeMs: 0,
        memoryBytes: group.reduce((sum, p) => sum + p.rssBytes, 0),
        memoryLimitBytes: spec.memoryBytes ?? totalmem(),
        pids: group.reduce((sum, p) => sum + p.threads, 0),
        netRxBytes: 0,
        netTxBytes: 0,
      };
    }
  }

  /**
   * Stops process groups left by kitt processes that died (kill -9): a pidfile whose owner is gone
   * and whose pid still runs with the recorded start time. Returns the pids it signalled.
   */
  async reapStale(options: { readonly graceMs?: number } = {}): Promise<number[]> {
    let names: string[];
    try {
      names = readdirSync(this.runDir).filter((n) => n.endsWith('.json'));
    } catch {
      return [];
    }
    const reaped: number[] = [];
    for (const name of names) {
      const path = join(this.runDir, name);
      const record = readPidfile(path);
      const owner = parseOwner(record?.owner);
      if (owner && isOwnerAlive(owner)) continue;
      if (record && readProc(record.pid)?.startTime === record.startTime) {
        signalGroup(record.pid, 'SIGTERM');
        const deadline = performance.now() + (options.graceMs ?? 5_000);
        while (readProc(record.pid)?.startTime === record.startTime && performance.now() < deadline) await sleep(100);
        signalGroup(record.pid, 'SIGKILL');
        reaped.push(record.pid);
      }
      rmSync(path, { force: true });
    }
    return reaped;
  }

  private get(ref: ProcessRef): Tracked {
    const tracked = this.tracked.get(ref.pid);
    if (!tracked) throw new KittError('INTERNAL', `process ${ref.pid} (${ref.name}) was not started here`);
    return tracked;
  }
}

function readPidfile(path: string): { pid: number; startTime?: string; owner?: string } | undefined {
  try {
    const record = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown; startTime?: unknown; owner?: unknown };
    if (typeof record.pid !== 'number') return undefined;
    return {
      pid: record.pid,
      ...(typeof record.startTime === 'string' ? { startTime: record.startTime } : {}),
      ...(typeof record.owner === 'string' ? { owner: record.owner } : {}),
    };
  } catch {
    return undefined;
  }
}

function groupTicks(processGroup: number): number {
  return readProcessGroup(processGroup).reduce((sum, p) => sum + p.cpuTicks, 0);
}

function signalGroup(processGroup: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-processGroup, signal);
  } catch {
    // the group is already gone
  }
}

/** Exit info of a host process; the kernel's OOM killer shows only as SIGKILL, so oomKilled stays false. */
export function processExitInfo(code: number | null, signal: NodeJS.Signals | null): ExitInfo {
  const reason =
    signal !== null ? `ended by ${signal}` : code === 0 ? 'exited normally' : `exited with code ${code ?? 'unknown'}`;
  return { exitCode: code, signal, oomKilled: false, reason };
}
