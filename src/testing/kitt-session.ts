import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { cleanEnv, KITT_ENTRY } from './kitt-cli.js';

/** kitt started as a terminal starts a command: the leader of its own session and process group. */
export interface KittSession {
  readonly child: ChildProcess;
  /** The process group a terminal's Ctrl-C goes to (kitt's pid: it leads the group). */
  readonly pgid: number;
  output(): string;
  /** `kill -SIG -- -PGID`: the signal reaches every process in the group, as a terminal sends it. */
  signalGroup(signal: NodeJS.Signals): void;
  /** Every process kitt started while it ran (the embedded engine's child, for one). */
  spawned(): number[];
}

/**
 * Spawns kitt with `detached: true`, under which the child calls setsid() before it execs, exactly
 * as `setsid kitt ...` does: it leads a new session and process group. At the end of the test the
 * group and every process kitt started are killed if still alive.
 */
export function kittSession(t: TestContext, args: readonly string[], env: Record<string, string>): KittSession {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), KITT_ENTRY, ...args], {
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    output += chunk;
  });
  const pgid = child.pid!;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pgid, signal);
    } catch {
      // the group is gone
    }
  };
  const spawned = new Set<number>();
  // remember kitt's children while it lives: after it exits they are reparented and untraceable
  const watcher = setInterval(() => {
    for (const pid of childrenOf(pgid)) spawned.add(pid);
  }, 200);
  child.once('exit', () => clearInterval(watcher));
  t.after(() => {
    clearInterval(watcher);
    signalGroup('SIGKILL');
    for (const pid of spawned) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  return {
    child,
    pgid,
    output: () => output,
    signalGroup,
    spawned: () => [...spawned],
  };
}

interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  readonly pgrp: number;
}

function readStat(pid: string): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name may hold spaces and parentheses: the fields start after the last ')'
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return undefined;
    return { pid: Number(pid), ppid: Number(fields[1]), pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

function processes(): ProcStat[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(readStat)
    .filter((stat): stat is ProcStat => stat !== undefined);
}

/** Live (non-zombie) children of a process. */
export function childrenOf(pid: number): number[] {
  return processes()
    .filter((stat) => stat.ppid === pid)
    .map((stat) => stat.pid);
}

/** Live (non-zombie) members of a process group. */
export function groupMembers(pgid: number): number[] {
  return processes()
    .filter((stat) => stat.pgrp === pgid)
    .map((stat) => stat.pid);
}

export function isAlive(pid: number): boolean {
  return readStat(String(pid)) !== undefined;
}

/** Polls until `predicate` holds or `timeoutMs` passes; returns whether it held. */
export async function waitUntil(predicate: () => boolean, timeoutMs: number, everyMs = 200): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return true;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return predicate();
}
