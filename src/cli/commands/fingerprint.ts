import type { Command } from 'commander';
import { formatBytes } from '../../core/units.js';
import { collectHardware, type HardwareInfo } from '../../hardware/fingerprint.js';
import type { CliContext } from '../cli-context.js';

function describeHardware(info: HardwareInfo): string {
  const lines: Array<[string, string]> = [
    ['fingerprint', info.fingerprint],
    ['cpu', `${info.cpu.model} (${info.cpu.logicalCores} logical cores, ${info.cpu.arch})`],
    ['memory', `${formatBytes(info.memory.totalBytes)} total, ${formatBytes(info.memory.freeBytes)} free`],
  ];
  const { cgroup } = info;
  const limits = [
    cgroup.cpus === undefined ? undefined : `${cgroup.cpus} CPUs of quota`,
    cgroup.cpusetCpus === undefined ? undefined : `cpuset of ${cgroup.cpusetCpus} CPUs`,
    cgroup.memoryBytes === undefined ? undefined : `${formatBytes(cgroup.memoryBytes)} memory`,
  ].filter((part): part is string => part !== undefined);
  lines.push([
    'kitt limits',
    cgroup.version === undefined
      ? 'no cgroup found'
      : `cgroup v${cgroup.version}: ${limits.length > 0 ? limits.join(', ') : 'none'}`,
  ]);
  lines.push(['os', `${info.os.distribution ?? info.os.platform}, kernel ${info.os.release}`]);
  lines.push([
    'docker',
    info.docker.reachable
      ? `reachable at ${info.docker.endpoint}${info.docker.apiVersion ? ` (API ${info.docker.apiVersion})` : ''}`
      : `not reachable at ${info.docker.endpoint}: ${info.docker.error ?? 'no answer'}`,
  ]);
  if (!info.gpu.available) lines.push(['gpus', `none (${info.gpu.reason})`]);
  else if (info.gpu.gpus.length === 0) lines.push(['gpus', 'none']);
  else {
    for (const gpu of info.gpu.gpus) {
      const memory = gpu.memoryMiB === undefined ? 'unified memory' : `${gpu.memoryMiB} MiB`;
      const extras = [
        `cc ${gpu.computeCapability ?? '?'}`,
        `driver ${gpu.driverVersion ?? '?'}`,
        gpu.migMode === 'enabled' ? 'MIG on' : undefined,
        gpu.pciBusId,
      ].filter(Boolean);
      lines.push([`gpu ${gpu.index}`, `${gpu.name}, ${memory} (${extras.join(', ')})`]);
    }
  }
  return lines.map(([key, value]) => `${key.padEnd(12)} ${value}`).join('\n');
}

/** `kitt fingerprint`: what this machine is, and the hash kitt files its results under. */
export function registerFingerprintCommand(program: Command, context: CliContext): void {
  program
    .command('fingerprint')
    .description('describe this machine (CPU, memory, limits, OS, Docker, GPUs) and its hardware hash')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nThe hash covers the hardware identity only (CPU model and cores, memory in GiB, GPU models,\nmemory and count), so driver or kernel updates keep it; everything else is detail.',
    )
    .action(async (options: { json?: boolean }) => {
      const info = await collectHardware({ env: context.env });
      context.stdout.write(options.json ? `${JSON.stringify(info, null, 2)}\n` : `${describeHardware(info)}\n`);
    });
}
