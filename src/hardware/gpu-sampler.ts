import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** What kitt samples per GPU during a run, in the order nvidia-smi is asked for it. */
export const GPU_SAMPLE_FIELDS = [
  'index',
  'uuid',
  'utilization.gpu',
  'memory.used',
  'memory.total',
  'power.draw',
  'clocks.sm',
  'clocks.mem',
] as const;

/** Default sampling interval: nvidia-smi's power reading is itself an average over ~1 s on recent drivers. */
export const GPU_SAMPLE_INTERVAL_MS = 500;

/** `nvidia-smi` arguments for one line per GPU every `intervalMs` until it is stopped. */
export function gpuSamplerArgs(intervalMs = GPU_SAMPLE_INTERVAL_MS): string[] {
  return [
    `--query-gpu=${GPU_SAMPLE_FIELDS.join(',')}`,
    '--format=csv,noheader,nounits',
    `-lms`,
    String(Math.max(1, Math.round(intervalMs))),
  ];
}

/** One GPU at one moment; a figure the GPU cannot report (`[N/A]`, `[Not Supported]`) is null. */
export interface GpuSample {
  /** When the line arrived, on the run's monotonic clock (ms). */
  readonly atMs: number;
  readonly index: number;
  readonly uuid: string | null;
  /** Share of the last sample period a kernel ran, %. Null on a GPU in MIG mode. */
  readonly utilizationPercent: number | null;
  /** Null on unified-memory parts (GB10, GH200). */
  readonly memoryUsedMiB: number | null;
  readonly memoryTotalMiB: number | null;
  readonly powerW: number | null;
  readonly smClockMHz: number | null;
  readonly memClockMHz: number | null;
}

// `[N/A]`, `N/A`, `[Not Supported]`, `[Unknown Error]`, `[GPU is lost]`: no value
const UNAVAILABLE = /^\[.*\]$|^N\/A$/i;

function numberOf(text: string | undefined): number | null {
  const value = text?.trim();
  if (value === undefined || value === '' || UNAVAILABLE.test(value)) return null;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : null;
}

/**
 * One line of `--query-gpu=GPU_SAMPLE_FIELDS --format=csv,noheader,nounits`, stamped `atMs`; null for
 * a line that is not one (a blank line, an error message such as "No devices were found").
 */
export function parseGpuSampleLine(line: string, atMs: number): GpuSample | null {
  const values = line.split(',');
  if (values.length !== GPU_SAMPLE_FIELDS.length) return null;
  const index = numberOf(values[0]);
  if (index === null || !Number.isInteger(index)) return null;
  const uuid = values[1]!.trim();
  return {
    atMs,
    index,
    uuid: uuid === '' || UNAVAILABLE.test(uuid) ? null : uuid,
    utilizationPercent: numberOf(values[2]),
    memoryUsedMiB: numberOf(values[3]),
    memoryTotalMiB: numberOf(values[4]),
    powerW: numberOf(values[5]),
    smClockMHz: numberOf(values[6]),
    memClockMHz: numberOf(values[7]),
  };
}

/** gpu.jsonl: one sample per line, times relative to the run's origin (rounded to 1 µs). */
export function gpuSamplesJsonl(samples: readonly GpuSample[], originMs = 0): string {
  return samples
    .map((sample) => JSON.stringify({ ...sample, atMs: Math.round((sample.atMs - originMs) * 1000) / 1000 }))
    .map((line) => `${line}\n`)
    .join('');
}

export interface GpuSampler {
  /** Ends sampling and resolves every sample taken, in arrival order; `reason` says why there were none. */
  stop(): Promise<{ readonly samples: readonly GpuSample[]; readonly reason?: string }>;
}

export interface GpuSamplerOptions {
  /** The run's monotonic clock, ms. */
  readonly nowMs: () => number;
  readonly intervalMs?: number;
  /** The nvidia-smi executable (default: `nvidia-smi` on PATH). */
  readonly command?: string;
  /** Arguments placed before the query (a stand-in executable's script, for instance). */
  readonly commandArgs?: readonly string[];
}

/**
 * Runs `nvidia-smi -lms` beside the load and stamps each line as it arrives. A host without
 * nvidia-smi (or without a driver) gives no samples and a reason, never an error: a run's figures
 * must not depend on the GPU reading working.
 */
export function startGpuSampler(options: GpuSamplerOptions): GpuSampler {
  const samples: GpuSample[] = [];
  const child = spawn(
    options.command ?? 'nvidia-smi',
    [...(options.commandArgs ?? []), ...gpuSamplerArgs(options.intervalMs)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let failure: string | undefined;
  let stderr = '';
  child.once('error', (error) => {
    failure = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'nvidia-smi is not installed' : error.message;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 512) stderr += chunk.toString('utf8');
  });
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    const sample = parseGpuSampleLine(line, options.nowMs());
    if (sample) samples.push(sample);
    else if (line.trim() !== '' && stderr.length < 512) stderr += `${line}\n`;
  });
  const exited = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    child.once('error', () => resolve());
  });
  let stopped: ReturnType<GpuSampler['stop']> | undefined;
  return {
    stop() {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null && failure === undefined) child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
        await exited;
        clearTimeout(timer);
        lines.close();
        if (samples.length > 0) return { samples };
        return { samples, reason: failure ?? (stderr.trim().split('\n')[0] || 'nvidia-smi printed no samples') };
      })();
      return stopped;
    },
  };
}
