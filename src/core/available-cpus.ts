import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

/** Where availableCpus looks; tests pass a folder laid out like / with fixture files. */
export interface AvailableCpusOptions {
  /** The filesystem root holding proc/ and sys/fs/cgroup/; default `/`. */
  readonly root?: string;
  /** CPUs the scheduler offers this process; default `os.availableParallelism()`. */
  readonly parallelism?: number;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** `0-3,8,10-11` → 7; undefined when the list does not parse. */
export function countCpuList(list: string): number | undefined {
  let count = 0;
  for (const part of list.trim().split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!match) return undefined;
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (to < from) return undefined;
    count += to - from + 1;
  }
  return count > 0 ? count : undefined;
}

/** `hierarchy-id:controllers:path` lines of /proc/self/cgroup, by controller ('' is cgroup v2). */
function cgroupPaths(root: string): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of (readText(join(root, 'proc/self/cgroup')) ?? '').split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line.trim());
    if (!match) continue;
    for (const controller of match[1]!.split(',')) paths.set(controller, match[2]!);
  }
  return paths;
}

/**
 * The cgroup folders a limit may sit in, innermost first: the process's own cgroup and each parent
 * up to the mount (a parent's quota binds its children). Inside a container the path names the
 * host's hierarchy while the mount shows the container's own cgroup at its root, so the root is
 * always among them.
 */
function cgroupDirs(mount: string, path: string | undefined): string[] {
  const dirs: string[] = [];
  let relative = path !== undefined && path !== '/' ? path : '';
  for (;;) {
    dirs.push(join(mount, relative));
    if (relative === '' || relative === '/') return dirs;
    relative = relative.slice(0, relative.lastIndexOf('/'));
  }
}

function minimum(values: Array<number | undefined>): number | undefined {
  const defined = values.filter((value): value is number => value !== undefined && Number.isFinite(value));
  return defined.length === 0 ? undefined : Math.min(...defined);
}

/** cgroup v2: `cpu.max` is `max 100000` (no limit) or `<quota> <period>` in microseconds. */
function cgroupV2QuotaCpus(root: string, paths: Map<string, string>): number | undefined {
  const mount = join(root, 'sys/fs/cgroup');
  return minimum(
    cgroupDirs(mount, paths.get('')).map((dir) => {
      const [quota, period] = (readText(join(dir, 'cpu.max')) ?? 'max').split(/\s+/);
      if (quota === undefined || quota === 'max') return undefined;
      const ratio = Number(quota) / Number(period ?? 100_000);
      return ratio > 0 ? ratio : undefined;
    }),
  );
}

/** cgroup v1: `cpu.cfs_quota_us` is -1 for no limit, else quota / `cpu.cfs_period_us` CPUs. */
function cgroupV1QuotaCpus(root: string, paths: Map<string, string>): number | undefined {
  const base = join(root, 'sys/fs/cgroup');
  const mounts = ['cpu,cpuacct', 'cpuacct,cpu', 'cpu'].map((name) => join(base, name));
  return minimum(
    mounts.flatMap((mount) =>
      cgroupDirs(mount, paths.get('cpu')).map((dir) => {
        const quota = Number(readText(join(dir, 'cpu.cfs_quota_us')));
        const period = Number(readText(join(dir, 'cpu.cfs_period_us')));
        return quota > 0 && period > 0 ? quota / period : undefined;
      }),
    ),
  );
}

/** The scheduler affinity mask, as `Cpus_allowed_list` in /proc/self/status reports it. */
function affinityCpus(root: string): number | undefined {
  const status = readText(join(root, 'proc/self/status')) ?? '';
  const match = /^Cpus_allowed_list:\s*(\S+)/m.exec(status);
  return match ? countCpuList(match[1]!) : undefined;
}

/**
 * The CPUs this process can really use: the least of the scheduler's parallelism, the cgroup v2
 * `cpu.max` quota, the cgroup v1 CFS quota and the affinity mask, rounded down, at least 1.
 * A quota of 1.5 CPUs gives 1: a second busy thread would only be throttled, and a llama.cpp
 * thread pool that waits on a throttled thread stalls (more threads than CPUs made 128 tokens of
 * a tiny model take 35 s here instead of 47 ms).
 */
export function availableCpus(options: AvailableCpusOptions = {}): number {
  const root = options.root ?? '/';
  const paths = cgroupPaths(root);
  const limit = minimum([
    options.parallelism ?? availableParallelism(),
    cgroupV2QuotaCpus(root, paths),
    cgroupV1QuotaCpus(root, paths),
    affinityCpus(root),
  ]);
  return Math.max(1, Math.floor(limit ?? 1));
}
