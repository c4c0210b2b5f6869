import type { ConfiguredMaxContexts } from '../../config/config-schema.js';

/** The cap on thinks in flight and where it came from; undefined cap: uncapped. */
export interface ResolvedContextCap {
  readonly cap: number | undefined;
  readonly source: 'flag' | 'calibrated' | 'auto' | 'none';
  /** The compute.maxContexts key looked up (`llamacpp/1cpu-2GiB`). */
  readonly key: string;
  readonly note: string;
  readonly warning?: string;
}

/**
 * `--max-contexts N` wins; else compute.maxContexts["<engine>/<limits>"] (what kitt calibrate
 * verified for this engine and limits); else thinks are not capped beyond the engine's own slots.
 * A calibrated count holds for contexts of its `contextTokens`: agents whose --context-limit is
 * longer fill more memory per think than was verified, which the warning says.
 */
export function resolveContextCap(
  flag: number | undefined,
  configured: Readonly<Record<string, ConfiguredMaxContexts>>,
  key: string,
  contextLimit: number,
): ResolvedContextCap {
  if (flag !== undefined)
    return { cap: flag, source: 'flag', key, note: `at most ${flag} thinks in flight (--max-contexts)` };
  const entry = configured[key];
  if (!entry) {
    return {
      cap: undefined,
      source: 'none',
      key,
      note: `thinks not capped: no compute.maxContexts["${key}"] (kitt calibrate writes it)`,
    };
  }
  const longer = entry.contextTokens !== undefined && contextLimit > entry.contextTokens;
  return {
    cap: entry.value,
    source: 'calibrated',
    key,
    note: `at most ${entry.value} thinks in flight: compute.maxContexts["${key}"]${entry.contextTokens ? ` (${entry.contextTokens}-token contexts)` : ''}`,
    ...(longer
      ? {
          warning: `--context-limit ${contextLimit} is longer than the ${entry.contextTokens}-token contexts compute.maxContexts["${key}"] was verified with: ${entry.value} such contexts may not fit; calibrate with --context-tokens ${contextLimit}, or give --max-contexts N`,
        }
      : {}),
  };
}
