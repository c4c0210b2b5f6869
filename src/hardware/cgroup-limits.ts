import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The CPU and memory limits of the cgroup kitt runs in; undefined where there is none. */
export interface CgroupLimits {
  readonly version: 1 | 2 | undefined;
  /** CPUs of quota (quota / period), e.g. 1.5; undefined when unlimited. */
  readonly cpus: number | undefined;
  /** CPUs allowed by the cpuset, e.g. `0-3` is 4; undefined when unknown. */
  readonly cpusetCpus: number | undefined;
  readonly memoryBytes: number | undefined;
}

const read = (path: string) => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
};

/** `0-3,8,10-11` → 7. */
export function countCpuList(list: string): number | undefined {
  if (list.trim().length === 0) return undefined;
  let count = 0;
  for (const part of list.trim().split(',')) {
    const [from, to] = part.split('-').map(Number);
    if (from === undefined || !Number.isInteger(from)) return undefined;
    count += to === undefined ? 1 : to - from + 1;
  }
  return count;
}

// v1 reports "no limit" as a page-rounded LONG_MAX; anything beyond 2^60 is no limit
const NO_LIMIT_BYTES = 2 ** 60;

/** `/proc/self/cgroup` lines: `hierarchy-id:controllers:path`. */
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
 * A cgroup path seen from inside a container names the host's hierarchy (`/docker/<id>`), while
 * the container mounts its own cgroup at the root of the mount: try the full path, then the root.
 */
function cgroupDir(mount: string, path: string | undefined): string {
  if (path !== undefined && path !== '/' && existsSync(join(mount, path))) return join(mount, path);
  return mount;
}

/** The smallest limit from the cgroup up to the root: a parent's limit binds its children too. */
function minUpwards(mount: string, path: string | undefined, readLimit: (dir: string) => number | undefined) {
  let best: number | undefined;
  const start = cgroupDir(mount, path);
  let relative = start.slice(mount.length);
  for (;;) {
    const limit = readLimit(join(mount, relative));
    if (limit !== undefined && (best === undefined || limit < best)) best = limit;
    if (relative === '' || relative === '/') break;
    relative = relative.slice(0, relative.lastIndexOf('/'));
  }
  return best;
}

/**
 * Reads kitt's own cgroup limits, v2 (unified) or v1, under `root` (the filesystem root; tests pass
 * a folder laid out like /proc and /sys/fs/cgroup).
 */
export function readCgroupLimits(root = '/'): CgroupLimits {
  const self = parseProcCgroup(read(join(root, 'proc/self/cgroup')) ?? '');
  const base = join(root, 'sys/fs/cgroup');
  if (existsSync(join(base, 'cgroup.controllers'))) {
    const path = self.get('');
    const cpus = minUpwards(base, path, (dir) => {
      const [quota, period] = (read(join(dir, 'cpu.max')) ?? 'max').split(/\s+/);
      return quota === 'max' || quota === undefined ? undefined : Number(quota) / Number(period ?? 100000);
    });
    const memoryBytes = minUpwards(base, path, (dir) => {
      const value = read(join(dir, 'memory.max'));
      return value === undefined || value === 'max' ? undefined : Number(value);
    });
    const cpuset = read(join(cgroupDir(base, path), 'cpuset.cpus.effective'));
    return { version: 2, cpus, cpusetCpus: cpuset ? countCpuList(cpuset) : undefined, memoryBytes };
  }
  const cpuMount = ['cpu,cpuacct', 'cpu', 'cpuacct,cpu'].map((name) => join(base, name)).find(existsSync);
  const memoryMount = join(base, 'memory');
  const cpusetMount = join(base, 'cpuset');
  if (!cpuMount && !existsSync(memoryMount)) {
    return { version: undefined, cpus: undefined, cpusetCpus: undefined, memoryBytes: undefined };
  }
  const cpus = cpuMount
    ? minUpwards(cpuMount, self.get('cpu'), (dir) => {
        const quota = Number(read(join(dir, 'cpu.cfs_quota_us')));
        const period = Number(read(join(dir, 'cpu.cfs_period_us')));
        return quota > 0 && period > 0 ? quota / period : undefined;
      })
    : undefined;
  const memoryBytes = minUpwards(memoryMount, self.get('memory'), (dir) => {
    const value = Number(read(join(dir, 'memory.limit_in_bytes')));
    return Number.isFinite(value) && value > 0 && value < NO_LIMIT_BYTES ? value : undefined;
  });
  const cpuset = read(join(cgroupDir(cpusetMount, self.get('cpuset')), 'cpuset.effective_cpus'));
  return { version: 1, cpus, cpusetCpus: cpuset ? countCpuList(cpuset) : undefined, memoryBytes };
}
