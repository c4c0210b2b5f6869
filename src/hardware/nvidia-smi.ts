import { execFile } from 'node:child_process';

/** The fields kitt asks nvidia-smi for, in order. */
export const NVIDIA_SMI_FIELDS = [
  'index',
  'name',
  'uuid',
  'memory.total',
  'driver_version',
  'compute_cap',
  'pci.bus_id',
  'mig.mode.current',
] as const;

/** Drivers before 510 know neither compute_cap nor (before 450) mig.mode.current: ask again without them. */
const FALLBACK_FIELDS = ['index', 'name', 'uuid', 'memory.total', 'driver_version', 'pci.bus_id'] as const;

export function nvidiaSmiArgs(fields: readonly string[] = NVIDIA_SMI_FIELDS): string[] {
  return [`--query-gpu=${fields.join(',')}`, '--format=csv,noheader,nounits'];
}

/** One GPU as nvidia-smi reports it; a field it cannot report is undefined. */
export interface GpuInfo {
  readonly index: number;
  readonly name: string;
  readonly uuid: string | undefined;
  /** Dedicated memory; undefined on unified-memory parts (GB10, GH200) that report `[N/A]`. */
  readonly memoryMiB: number | undefined;
  readonly driverVersion: string | undefined;
  /** `9.0`, `12.1`; a string so that 12.10 and 12.1 stay apart. */
  readonly computeCapability: string | undefined;
  readonly pciBusId: string | undefined;
  readonly migMode: 'enabled' | 'disabled' | undefined;
}

// `[N/A]`, `N/A`, `[Not Supported]`, `[Unknown Error]`, `[Insufficient Permissions]`, `[GPU is lost]`
const UNAVAILABLE = /^\[.*\]$|^N\/A$/i;

const field = (value: string | undefined) => {
  const text = value?.trim();
  return text === undefined || text.length === 0 || UNAVAILABLE.test(text) ? undefined : text;
};

/**
 * Parses `--format=csv,noheader,nounits` output for `fields` (default NVIDIA_SMI_FIELDS). GPU names
 * hold no commas, so a plain split is exact; lines that are blank are skipped.
 */
export function parseNvidiaSmiCsv(text: string, fields: readonly string[] = NVIDIA_SMI_FIELDS): GpuInfo[] {
  return text
    .split(/\r?\n/)
    .filter((line) => line.trim().length > 0)
    .map((line, position) => {
      const values = line.split(',');
      const get = (name: string) => field(values[fields.indexOf(name)]);
      const memory = get('memory.total');
      const mig = get('mig.mode.current')?.toLowerCase();
      const index = Number(get('index'));
      return {
        index: Number.isInteger(index) ? index : position,
        name: get('name') ?? 'unknown NVIDIA GPU',
        uuid: get('uuid'),
        memoryMiB: memory !== undefined && Number.isFinite(Number(memory)) ? Number(memory) : undefined,
        driverVersion: get('driver_version'),
        computeCapability: get('compute_cap'),
        pciBusId: get('pci.bus_id'),
        migMode: mig === 'enabled' ? 'enabled' : mig === 'disabled' ? 'disabled' : undefined,
      };
    });
}

/** Runs a command and resolves its stdout; rejects with the error (ENOENT when it is not installed). */
export type RunCommand = (file: string, args: readonly string[], timeoutMs: number) => Promise<string>;

export const runCommand: RunCommand = (file, args, timeoutMs) =>
  new Promise((resolve, reject) => {
    execFile(file, [...args], { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { stdout, stderr }));
      else resolve(stdout);
    });
  });

export type GpuReport =
  | { readonly available: true; readonly source: 'nvidia-smi'; readonly gpus: readonly GpuInfo[] }
  | { readonly available: false; readonly reason: string };

/**
 * The host's NVIDIA GPUs through nvidia-smi. NVML itself is a C library that Node cannot call
 * without a native addon, so kitt reads nvidia-smi's CSV (which is NVML underneath).
 */
export async function readGpus(run: RunCommand = runCommand, timeoutMs = 5000): Promise<GpuReport> {
  try {
    const text = await run('nvidia-smi', nvidiaSmiArgs(), timeoutMs);
    return { available: true, source: 'nvidia-smi', gpus: parseNvidiaSmiCsv(text) };
  } catch (error) {
    const err = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (err.code === 'ENOENT') return { available: false, reason: 'nvidia-smi is not installed' };
    const output = `${err.stdout ?? ''}${err.stderr ?? ''}`;
    if (/not a valid field/i.test(output)) {
      try {
        const text = await run('nvidia-smi', nvidiaSmiArgs(FALLBACK_FIELDS), timeoutMs);
        return { available: true, source: 'nvidia-smi', gpus: parseNvidiaSmiCsv(text, FALLBACK_FIELDS) };
      } catch {
        // fall through to the first error
      }
    }
    const reason = (output.trim().split('\n')[0] || err.message).trim();
    return { available: false, reason: `nvidia-smi failed: ${reason}` };
  }
}
