import type { StatsSample } from '../container-runtime.js';

/** The parts of a Docker Engine API stats object (GET /containers/{id}/stats) that kitt reads. */
export interface DockerStatsJson {
  readonly read?: string;
  readonly cpu_stats?: DockerCpuStats;
  readonly precpu_stats?: DockerCpuStats;
  readonly memory_stats?: {
    readonly usage?: number;
    readonly limit?: number;
    readonly stats?: Readonly<Record<string, number>>;
  };
  readonly pids_stats?: { readonly current?: number; readonly limit?: number };
  readonly networks?: Readonly<Record<string, { readonly rx_bytes?: number; readonly tx_bytes?: number }>>;
}

interface DockerCpuStats {
  readonly cpu_usage?: { readonly total_usage?: number; readonly percpu_usage?: readonly number[] };
  readonly system_cpu_usage?: number;
  readonly online_cpus?: number;
  readonly throttling_data?: {
    readonly periods?: number;
    readonly throttled_periods?: number;
    readonly throttled_time?: number;
  };
}

export interface StatsContext {
  /** Monotonic ms at which the object was received. */
  readonly atMs: number;
  /** The container's CPU limit in cores (NanoCpus / 1e9, or quota / period); undefined = unlimited. */
  readonly cpuLimitCores?: number | undefined;
}

/**
 * Turns one stats object into a sample, or undefined when it carries no interval to measure: the
 * stream's first object (empty precpu_stats) and the zeroed objects sent for a stopped container.
 *
 * CPU, as `docker stats` computes it, over the interval between precpu_stats and cpu_stats:
 *   cpuDelta    = cpu.total_usage − precpu.total_usage        (ns of CPU the container used)
 *   systemDelta = cpu.system_cpu_usage − precpu.system_cpu_usage (ns elapsed × all host CPUs)
 *   cores       = cpuDelta / systemDelta × onlineCpus
 *   % of host   = cpuDelta / systemDelta × 100
 *   % of limit  = cores / limitCores × 100   (limitCores = onlineCpus when unlimited)
 * Throttling counters are cumulative in the kernel; the sample holds their change over the interval.
 */
export function parseDockerStats(raw: DockerStatsJson, context: StatsContext): StatsSample | undefined {
  const cpu = raw.cpu_stats;
  const pre = raw.precpu_stats;
  if (raw.read?.startsWith('0001-') || cpu?.system_cpu_usage === undefined || !pre?.system_cpu_usage) {
    return undefined;
  }
  const onlineCpus = cpu.online_cpus ?? cpu.cpu_usage?.percpu_usage?.length ?? 1;
  const cpuDelta = (cpu.cpu_usage?.total_usage ?? 0) - (pre.cpu_usage?.total_usage ?? 0);
  const systemDelta = cpu.system_cpu_usage - pre.system_cpu_usage;
  const shareOfHost = systemDelta > 0 && cpuDelta > 0 ? cpuDelta / systemDelta : 0;
  const cores = shareOfHost * onlineCpus;
  const limitCores = context.cpuLimitCores ?? onlineCpus;
  const throttled = cpu.throttling_data;
  const preThrottled = pre.throttling_data;
  return {
    atMs: context.atMs,
    cpuCores: cores,
    cpuPercentOfHost: shareOfHost * 100,
    cpuPercentOfLimit: (cores / limitCores) * 100,
    throttledPeriods: nonNegative((throttled?.throttled_periods ?? 0) - (preThrottled?.throttled_periods ?? 0)),
    throttledTimeMs: nonNegative((throttled?.throttled_time ?? 0) - (preThrottled?.throttled_time ?? 0)) / 1e6,
    memoryBytes: memoryInUse(raw.memory_stats),
    memoryLimitBytes: raw.memory_stats?.limit ?? 0,
    pids: raw.pids_stats?.current ?? 0,
    ...networkTotals(raw.networks),
  };
}

/**
 * Memory in use without the page cache the kernel can drop, as `docker stats` shows it:
 * cgroup v1 subtracts total_inactive_file, cgroup v2 inactive_file (each only when smaller than usage).
 */
export function memoryInUse(memory: DockerStatsJson['memory_stats']): number {
  const usage = memory?.usage ?? 0;
  const stats = memory?.stats ?? {};
  const inactiveFile = stats.total_inactive_file ?? stats.inactive_file;
  return inactiveFile !== undefined && inactiveFile < usage ? usage - inactiveFile : usage;
}

/** Which cgroup version produced the object (v2 reports `anon`/`file`, v1 `total_*` and `cache`). */
export function cgroupVersionOf(raw: DockerStatsJson): 1 | 2 {
  const stats = raw.memory_stats?.stats ?? {};
  return 'anon' in stats && !('total_rss' in stats) ? 2 : 1;
}

function networkTotals(networks: DockerStatsJson['networks']): { netRxBytes: number; netTxBytes: number } {
  let netRxBytes = 0;
  let netTxBytes = 0;
  for (const link of Object.values(networks ?? {})) {
    netRxBytes += link.rx_bytes ?? 0;
    netTxBytes += link.tx_bytes ?? 0;
  }
  return { netRxBytes, netTxBytes };
}

function nonNegative(value: number): number {
  return Math.max(value, 0);
}
