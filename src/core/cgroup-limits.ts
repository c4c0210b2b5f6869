import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The CPU and memory limits of the cgroup this process runs in; undefined where there is none.
 * The one reader of /proc/self/cgroup and the cgroup files: `availableCpus` sizes thread pools
 * from it and `kitt fingerprint` reports it.
 */
export interface CgroupLimits {
  readonly version: 1 | 2 | undefined;
  /** CPUs of quota (quota / period), e.g. 1.5; undefined when unlimited. */
  readonly cpus: number | undefined;
  /** CPUs allowed by the cpuset, e.g. `0-3` is 4; undefined when unknown. */
  readonly cpusetCpus: number | undefined;
  readonly memoryBytes: number | undefined;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** `0-3,8,10-11` → 7; undefined when the list is empty or does not parse. */
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

// v1 reports "no limit" as a page-rounded LONG_MAX; anything beyond 2^60 is no limit
const NO_LIMIT_BYTES = 2 ** 60;

/** `hierarchy-id:controllers:path` lines of /proc/self/cgroup, by controller ('' is cgroup v2). */
function parseProcCgroup(text: string): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line.trim());
    if (!match) continue;
    for (const controller of match[1]!.split(',')) paths.set(controller, match[2]!);
  }
  return paths;
}

/**
 * The smallest value from the process's cgroup folder up to the mount: a parent's limit binds its
 * children too. Inside a container the path names the host's hierarchy (`/docker/<id>`) while the
 * mount shows the container's own cgroup at its root; folders that do not exist read as no limit,
 * so the root still counts.
 */
function minUpwards(mount: string, path: string | undefined, readLimit: (dir: string) => number | undefined) {
  let best: number | undefined;
  let relative = path !== undefined && path !== '/' ? path : '';
  for (;;) {
    const limit = readLimit(join(mount, relative));
    if (limit !== undefined && Number.isFinite(limit) && (best === undefined || limit < best)) best = limit;
    if (relative === '' || relative === '/') return best;
    relative = relative.slice(0, relative.lastIndexOf('/'));
  }
}

const cpuListIn = (file: string) => {
  const list = readText(file);
  return list ? countCpuList(list) : undefined;
};

/** cgroup v2 (unified): `cpu.max` is `max 100000` or `<quota> <period>` µs; `memory.max` is `max` or bytes. */
function readV2(base: string, path: string | undefined): CgroupLimits {
  const cpus = minUpwards(base, path, (dir) => {
    const [quota, period] = (readText(join(dir, 'cpu.max')) ?? 'max').split(/\s+/);
    if (quota === undefined || quota === 'max') return undefined;
    const ratio = Number(quota) / Number(period ?? 100_000);
    return ratio > 0 ? ratio : undefined;
  });
  const memoryBytes = minUpwards(base, path, (dir) => {
    const value = readText(join(dir, 'memory.max'));
    return value === undefined || value === 'max' ? undefined : Number(value);
  });
  const cpusetCpus = minUpwards(base, path, (dir) => cpuListIn(join(dir, 'cpuset.cpus.effective')));
  return { version: 2, cpus, cpusetCpus, memoryBytes };
}

/** cgroup v1: `cpu.cfs_quota_us` is -1 for no limit, else quota / `cpu.cfs_period_us` CPUs. */
function readV1(base: string, paths: Map<string, string>): CgroupLimits {
  const cpuMount = ['cpu,cpuacct', 'cpu', 'cpuacct,cpu'].map((name) => join(base, name)).find(existsSync);
  const memoryMount = join(base, 'memory');
  if (!cpuMount && !existsSync(memoryMount)) {
    return { version: undefined, cpus: undefined, cpusetCpus: undefined, memoryBytes: undefined };
  }
  const cpus = cpuMount
    ? minUpwards(cpuMount, paths.get('cpu'), (dir) => {
        const quota = Number(readText(join(dir, 'cpu.cfs_quota_us')));
        const period = Number(readText(join(dir, 'cpu.cfs_period_us')));
        return quota > 0 && period > 0 ? quota / period : undefined;
      })
    : undefined;
  const memoryBytes = minUpwards(memoryMount, paths.get('memory'), (dir) => {
    const value = Number(readText(join(dir, 'memory.limit_in_bytes')));
    return value > 0 && value < NO_LIMIT_BYTES ? value : undefined;
  });
  const cpusetCpus = minUpwards(join(base, 'cpuset'), paths.get('cpuset'), (dir) =>
    cpuListIn(join(dir, 'cpuset.effective_cpus')),
  );
  return { version: 1, cpus, cpusetCpus, memoryBytes };
}

/**
 * Reads this process's cgroup limits, v2 (unified, recognised by `cgroup.controllers` at the
 * mount) or v1, under `root` (the filesystem root; tests pass a folder laid out like /proc and
 * /sys/fs/cgroup).
 */
export function readCgroupLimits(root = '/'): CgroupLimits {
  const paths = parseProcCgroup(readText(join(root, 'proc/self/cgroup')) ?? '');
  const base = join(root, 'sys/fs/cgroup');
  return existsSync(join(base, 'cgroup.controllers')) ? readV2(base, paths.get('')) : readV1(base, paths);
}
