import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { countCpuList, readCgroupLimits } from './cgroup-limits.js';

/** Where availableCpus looks; tests pass a folder laid out like / with fixture files. */
export interface AvailableCpusOptions {
  /** The filesystem root holding proc/ and sys/fs/cgroup/; default `/`. */
  readonly root?: string;
  /** CPUs the scheduler offers this process; default `os.availableParallelism()`. */
  readonly parallelism?: number;
}

/** The scheduler affinity mask, as `Cpus_allowed_list` in /proc/self/status reports it. */
function affinityCpus(root: string): number | undefined {
  let status = '';
  try {
    status = readFileSync(join(root, 'proc/self/status'), 'utf8');
  } catch {
    return undefined;
  }
  const match = /^Cpus_allowed_list:\s*(\S+)/m.exec(status);
  return match ? countCpuList(match[1]!) : undefined;
}

/**
 * The CPUs this process can really use: the least of the scheduler's parallelism, the cgroup's
 * CPU quota and cpuset (`readCgroupLimits`) and the affinity mask, rounded down, at least 1.
 * A quota of 1.5 CPUs gives 1: a second busy thread would only be throttled, and a llama.cpp
 * thread pool that waits on a throttled thread stalls (more threads than CPUs made 128 tokens of
 * a tiny model take 35 s here instead of 47 ms).
 */
export function availableCpus(options: AvailableCpusOptions = {}): number {
  const root = options.root ?? '/';
  const cgroup = readCgroupLimits(root);
  const limits = [options.parallelism ?? availableParallelism(), cgroup.cpus, cgroup.cpusetCpus, affinityCpus(root)];
  const defined = limits.filter((value): value is number => value !== undefined && Number.isFinite(value));
  return Math.max(1, Math.floor(defined.length === 0 ? 1 : Math.min(...defined)));
}
