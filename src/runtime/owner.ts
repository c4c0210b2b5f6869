import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';

/**
 * Who started a container or process: a user, a host, and the process by pid *and* start time, so
 * a pid the kernel has since handed to another process is not mistaken for the owner.
 * Written into the `kitt.owner` label as `user@host:pid:startTime`.
 */
export interface OwnerIdentity {
  readonly user: string;
  readonly host: string;
  readonly pid: number;
  /** Start time in clock ticks since boot (/proc/<pid>/stat field 22); 'unknown' off Linux. */
  readonly startTime: string;
}

/**
 * A process's start time from /proc/<pid>/stat, or undefined when the process does not exist.
 * The comm field (2) may contain spaces and parentheses, so fields are counted after the last ')'.
 */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // after ") " come fields 3, 4, …; starttime is field 22, so index 22 − 3 = 19
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'unknown'); // no passwd entry (arbitrary uid in a container)
  }
}

export function currentOwner(): OwnerIdentity {
  return {
    user: currentUser(),
    host: hostname(),
    pid: process.pid,
    startTime: processStartTime(process.pid) ?? 'unknown',
  };
}

export function formatOwner(owner: OwnerIdentity): string {
  return `${owner.user}@${owner.host}:${owner.pid}:${owner.startTime}`;
}

/** Parses a `kitt.owner` label; undefined for labels of another shape (those are never reaped). */
export function parseOwner(label: string | undefined): OwnerIdentity | undefined {
  const match = label ? /^(.*)@([^@:]+):(\d+):([^:]+)$/.exec(label) : null;
  if (!match) return undefined;
  return { user: match[1]!, host: match[2]!, pid: Number(match[3]), startTime: match[4]! };
}

/**
 * Whether the owner process still runs, judged on this host only: a different host is assumed
 * alive (we cannot see its processes). Same host: the pid must exist with the same start time.
 */
export function isOwnerAlive(owner: OwnerIdentity, here: OwnerIdentity = currentOwner()): boolean {
  if (owner.host !== here.host) return true;
  if (owner.pid === here.pid && owner.startTime === here.startTime) return true;
  if (owner.startTime === 'unknown') return pidExists(owner.pid);
  return processStartTime(owner.pid) === owner.startTime;
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
