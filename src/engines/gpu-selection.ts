import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { KittError } from '../core/errors.js';
import type { ResourceLimits } from './engine.js';

/**
 * Parses `--gpus`: `all`, a count-free list of host GPU indices (`0`, `0,2`), or `none`.
 * Indices are the host's (nvidia-smi) numbering.
 */
export function parseGpus(text: string): ResourceLimits['gpus'] {
  const value = text.trim().toLowerCase();
  if (value === 'all') return 'all';
  if (value === 'none' || value === '') return undefined;
  const parts = value.split(',').map((p) => p.trim());
  if (!parts.every((p) => /^\d+$/.test(p))) {
    throw new KittError('USAGE', `--gpus "${text}" is neither "all" nor a list of GPU indices`, {
      hint: 'write --gpus all, --gpus 0 or --gpus 0,2',
    });
  }
  const indices = [...new Set(parts.map(Number))].sort((a, b) => a - b);
  return indices;
}

/**
 * CUDA_VISIBLE_DEVICES inside a container. The NVIDIA runtime exposes only the requested devices
 * and numbers them from 0 in the order requested, so host GPUs 2,5 become 0,1 in the container:
 * setting the host indices there would point CUDA at devices that do not exist. For `all` the
 * variable is left empty-free (unset): every device the runtime exposes is visible.
 */
export function containerCudaVisibleDevices(gpus: ResourceLimits['gpus']): string | undefined {
  if (gpus === undefined || gpus === 'all') return undefined;
  return gpus.map((_, position) => String(position)).join(',');
}

/** CUDA_VISIBLE_DEVICES for a host process: the host's own indices. */
export function nativeCudaVisibleDevices(gpus: ResourceLimits['gpus']): string | undefined {
  if (gpus === undefined || gpus === 'all') return undefined;
  return gpus.join(',');
}

/** The GPU indices a request needs present on the host (`all` needs at least one). */
export function requiredGpuCount(gpus: ResourceLimits['gpus']): number {
  if (gpus === undefined) return 0;
  if (gpus === 'all') return 1;
  return Math.max(...gpus) + 1;
}

/** NVIDIA GPUs visible to `nvidia-smi -L`; 0 when the tool is absent. */
export async function countNvidiaGpus(): Promise<number> {
  try {
    const { stdout } = await promisify(execFile)('nvidia-smi', ['-L'], { timeout: 10_000 });
    return stdout.split('\n').filter((line) => line.startsWith('GPU ')).length;
  } catch {
    return 0;
  }
}
