import type Docker from 'dockerode';
import { formatBytes } from '../../core/units.js';
import {
  type ContainerInspection,
  type ContainerLimits,
  type ContainerMount,
  type ContainerSpec,
  type ContainerState,
  type ExitInfo,
  LABELS,
} from '../container-runtime.js';

/**
 * The exact body of POST /containers/create for a spec. Pure, so engines can test the request
 * they build without a daemon.
 *
 * - Host networking only (the daemon may run with --bridge=none; engines bind host ports).
 * - Mounts rather than Binds: a missing host path fails the create instead of being created empty.
 * - MemorySwap defaults to Memory (no swap): a model that does not fit is OOM-killed at the limit
 *   rather than measured while swapping.
 * - kitt.managed and kitt.owner are set here, by the process that creates the container.
 * - Hardened by default (docs/runtime.md, "Hardening"): no-new-privileges, every capability
 *   dropped (no engine kitt starts needs one: they listen above port 1024 on the host network and
 *   reach GPUs through device files), and a pids limit when none was asked for.
 */
export function toCreateOptions(spec: ContainerSpec, ownerLabel: string): Docker.ContainerCreateOptions {
  return {
    name: spec.name,
    Image: spec.image,
    Cmd: [...spec.cmd],
    ...(spec.entrypoint ? { Entrypoint: [...spec.entrypoint] } : {}),
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    Labels: { ...spec.labels, [LABELS.managed]: 'true', [LABELS.owner]: ownerLabel },
    ...(spec.user ? { User: spec.user } : {}),
    ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
    HostConfig: {
      NetworkMode: spec.network,
      Mounts: spec.mounts.map((m) => ({
        Type: m.type,
        Source: m.source,
        Target: m.target,
        ReadOnly: m.readOnly,
      })),
      ...limitsToHostConfig(spec.limits),
      ...(spec.shmSizeBytes ? { ShmSize: spec.shmSizeBytes } : {}),
      ...hardening(),
    },
  };
}

/**
 * Processes + threads an engine container may create unless --pids says otherwise. A llama.cpp
 * server uses ~n-cores + a few threads, vLLM a few hundred; 4096 stops a fork bomb or a thread leak
 * long before it exhausts the host's pid space (shared with every other process on the host).
 */
export const DEFAULT_PIDS_LIMIT = 4096;

/** The security settings every engine container gets; see toCreateOptions. */
function hardening(): Docker.HostConfig {
  return { SecurityOpt: ['no-new-privileges:true'], CapDrop: ['ALL'] };
}

export function limitsToHostConfig(limits: ContainerLimits): Docker.HostConfig {
  const config: Docker.HostConfig = {};
  if (limits.memoryBytes !== undefined) {
    config.Memory = limits.memoryBytes;
    config.MemorySwap = limits.memorySwapBytes ?? limits.memoryBytes;
  } else if (limits.memorySwapBytes !== undefined) {
    config.MemorySwap = limits.memorySwapBytes;
  }
  if (limits.cpus !== undefined) config.NanoCpus = Math.round(limits.cpus * 1e9);
  config.PidsLimit = limits.pids ?? DEFAULT_PIDS_LIMIT;
  if (limits.gpus !== undefined) config.DeviceRequests = [gpuRequest(limits.gpus)];
  return config;
}

/** `--gpus all` is Count −1; chosen GPUs go by index as DeviceIDs. */
function gpuRequest(gpus: 'all' | readonly number[]): Docker.DeviceRequest {
  return gpus === 'all'
    ? { Driver: 'nvidia', Count: -1, Capabilities: [['gpu']] }
    : { Driver: 'nvidia', DeviceIDs: gpus.map(String), Capabilities: [['gpu']] };
}

/** The limits the daemon recorded, read back from inspect data. */
export function limitsFromHostConfig(host: Docker.HostConfig | undefined): ContainerLimits {
  const cpus = host?.NanoCpus
    ? host.NanoCpus / 1e9
    : host?.CpuQuota && host.CpuPeriod
      ? host.CpuQuota / host.CpuPeriod
      : undefined;
  const request = host?.DeviceRequests?.find((r) => r.Capabilities?.some((c) => c.includes('gpu')));
  const gpus = request ? (request.Count === -1 ? 'all' : (request.DeviceIDs ?? []).map(Number)) : undefined;
  return {
    ...(host?.Memory ? { memoryBytes: host.Memory } : {}),
    ...(host?.MemorySwap && host.MemorySwap > 0 ? { memorySwapBytes: host.MemorySwap } : {}),
    ...(cpus !== undefined ? { cpus } : {}),
    ...(host?.PidsLimit && host.PidsLimit > 0 ? { pids: host.PidsLimit } : {}),
    ...(gpus !== undefined ? { gpus } : {}),
  };
}

const SIGNALS: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 6: 'SIGABRT', 9: 'SIGKILL', 15: 'SIGTERM' };

/** How a container ended, in one line a person can act on. */
export function exitInfoFrom(exitCode: number, oomKilled: boolean, limits: ContainerLimits): ExitInfo {
  const signal = exitCode > 128 ? (SIGNALS[exitCode - 128] ?? `signal ${exitCode - 128}`) : null;
  let reason: string;
  if (oomKilled) {
    reason =
      limits.memoryBytes !== undefined
        ? `OOM-killed at the ${formatBytes(limits.memoryBytes)} memory limit`
        : 'OOM-killed (no memory limit was set: the host ran out of memory)';
  } else if (exitCode === 0) reason = 'exited normally';
  else if (signal) reason = `ended by ${signal} (exit code ${exitCode})`;
  else reason = `exited with code ${exitCode}`;
  return { exitCode, signal, oomKilled, reason };
}

/** Inspect data in our terms. */
export function inspectionFrom(data: Docker.ContainerInspectInfo): ContainerInspection {
  const limits = limitsFromHostConfig(data.HostConfig);
  const state = data.State.Status as ContainerState;
  const stopped = state === 'exited' || state === 'dead';
  return {
    id: data.Id,
    name: data.Name.replace(/^\//, ''),
    image: data.Config.Image,
    state,
    labels: data.Config.Labels ?? {},
    limits,
    networkMode: data.HostConfig.NetworkMode ?? '',
    mounts: (data.Mounts ?? []).map(
      (m): ContainerMount => ({
        type: m.Type === 'volume' ? 'volume' : 'bind',
        source: m.Type === 'volume' ? (m.Name ?? m.Source) : m.Source,
        target: m.Destination,
        readOnly: !m.RW,
      }),
    ),
    ...(stopped ? { exit: exitInfoFrom(data.State.ExitCode, data.State.OOMKilled, limits) } : {}),
    ...(data.State.Pid ? { pid: data.State.Pid } : {}),
    ...(data.State.StartedAt && !data.State.StartedAt.startsWith('0001-') ? { startedAt: data.State.StartedAt } : {}),
  };
}
