import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { type CgroupLimits, readCgroupLimits } from '../core/cgroup-limits.js';
import { type DockerProbe, type DockerReachability, probeDocker } from './docker-probe.js';
import { type GpuReport, type RunCommand, readGpus, runCommand } from './nvidia-smi.js';

/** Everything `kitt fingerprint` reports. Only `identity` goes into the hash. */
export interface HardwareInfo {
  readonly fingerprint: string;
  readonly identity: HardwareIdentity;
  readonly cpu: { readonly model: string; readonly logicalCores: number; readonly arch: string };
  readonly memory: { readonly totalBytes: number; readonly freeBytes: number };
  /** kitt's own cgroup limits (set when kitt itself runs limited, e.g. in a container). */
  readonly cgroup: CgroupLimits;
  readonly os: {
    readonly platform: string;
    readonly release: string;
    readonly distribution: string | undefined;
    readonly hostname: string;
  };
  readonly docker: DockerReachability;
  readonly gpu: GpuReport;
}

/**
 * What the machine *is*: the fields that stay the same across reboots, driver and kernel updates.
 * Memory is in whole GiB (the kernel's reservation moves MemTotal by a few MiB between versions);
 * unified-memory GPUs that report no memory are `null`, which is itself stable.
 */
export interface HardwareIdentity {
  readonly arch: string;
  readonly cpuModel: string;
  readonly logicalCores: number;
  readonly memoryGiB: number;
  readonly gpus: ReadonlyArray<{ readonly name: string; readonly memoryGiB: number | null }>;
}

const GIB = 1024 ** 3;

export function hardwareIdentity(parts: {
  arch: string;
  cpuModel: string;
  logicalCores: number;
  memoryTotalBytes: number;
  gpu: GpuReport;
}): HardwareIdentity {
  const gpus = parts.gpu.available
    ? [...parts.gpu.gpus]
        .sort((a, b) => a.index - b.index)
        .map((gpu) => ({
          name: gpu.name,
          memoryGiB: gpu.memoryMiB === undefined ? null : Math.round(gpu.memoryMiB / 1024),
        }))
    : [];
  return {
    arch: parts.arch,
    cpuModel: parts.cpuModel.trim().replace(/\s+/g, ' '),
    logicalCores: parts.logicalCores,
    memoryGiB: Math.round(parts.memoryTotalBytes / GIB),
    gpus,
  };
}

/** sha256 over the identity as canonical JSON (keys in a fixed order), hex. */
export function fingerprintIdentity(identity: HardwareIdentity): string {
  const canonical = JSON.stringify([
    identity.arch,
    identity.cpuModel,
    identity.logicalCores,
    identity.memoryGiB,
    identity.gpus.map((gpu) => [gpu.name, gpu.memoryGiB]),
  ]);
  return createHash('sha256').update(`kitt-hardware-v1\n${canonical}`).digest('hex');
}

function readDistribution(root: string): string | undefined {
  try {
    const text = readFileSync(join(root, 'etc/os-release'), 'utf8');
    const match = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
    return match?.[1];
  } catch {
    return undefined;
  }
}

export interface CollectHardwareOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Filesystem root for /proc, /sys and /etc (tests); `/` by default. */
  readonly root?: string;
  readonly runCommand?: RunCommand;
  readonly probeDocker?: DockerProbe;
  readonly dockerTimeoutMs?: number;
}

/** Looks at this machine: CPU, memory, cgroup limits, OS, Docker, GPUs; and hashes its identity. */
export async function collectHardware(options: CollectHardwareOptions = {}): Promise<HardwareInfo> {
  const root = options.root ?? '/';
  const [docker, gpu] = await Promise.all([
    (options.probeDocker ?? probeDocker)(options.env ?? process.env, options.dockerTimeoutMs ?? 1000),
    readGpus(options.runCommand ?? runCommand),
  ]);
  const cpus = os.cpus();
  const cpu = { model: cpus[0]?.model ?? 'unknown CPU', logicalCores: cpus.length, arch: os.arch() };
  const identity = hardwareIdentity({
    arch: cpu.arch,
    cpuModel: cpu.model,
    logicalCores: cpu.logicalCores,
    memoryTotalBytes: os.totalmem(),
    gpu,
  });
  return {
    fingerprint: fingerprintIdentity(identity),
    identity,
    cpu,
    memory: { totalBytes: os.totalmem(), freeBytes: os.freemem() },
    cgroup: readCgroupLimits(root),
    os: {
      platform: os.platform(),
      release: os.release(),
      distribution: readDistribution(root),
      hostname: os.hostname(),
    },
    docker,
    gpu,
  };
}
