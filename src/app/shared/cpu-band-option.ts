import type { OptionIssues } from '../../core/option-issues.js';

/** `80-90` → { low: 80, high: 90 }: percent of the container's CPU limit; undefined (and an issue) otherwise. */
export function readCpuBand(text: string, issues: OptionIssues): { low: number; high: number } | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*%?\s*-\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  const low = Number(match?.[1]);
  const high = Number(match?.[2]);
  if (match && low > 0 && high > low && high <= 100) return { low, high };
  return issues.add(
    `--target-cpu "${text}" is not a CPU band`,
    'write LOW-HIGH in percent of the CPU limit, e.g. --target-cpu 80-90',
  );
}
