import { KittError } from './errors.js';

const BYTE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  ki: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  ti: 1024 ** 4,
  tib: 1024 ** 4,
};

/** How a size is written, for hints and error messages. */
export const SIZE_EXAMPLES = '512m, 4g or 1.5GiB';

/** Reads Docker-style sizes (`512m`, `4g`, `1.5GiB`, `1048576`) as bytes, binary multiples as Docker does; undefined when it is not one. */
export function readBytes(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const multiplier = match ? BYTE_UNITS[match[2]!.toLowerCase()] : undefined;
  return match && multiplier !== undefined ? Math.round(Number(match[1]) * multiplier) : undefined;
}

/** readBytes that throws a USAGE error naming the grammar. */
export function parseBytes(text: string): number {
  const bytes = readBytes(text);
  if (bytes === undefined) {
    throw new KittError('USAGE', `"${text}" is not a size`, {
      hint: `write a number with an optional unit, e.g. ${SIZE_EXAMPLES}`,
    });
  }
  return bytes;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export type DurationUnit = 'ms' | 's' | 'm' | 'h';

const DURATION_FACTOR_MS: Record<DurationUnit, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** How a duration is written, for hints and error messages. */
export const DURATION_EXAMPLES = '500ms, 30s, 2m or 1h';

/**
 * kitt's one duration grammar: a number and a unit (`500ms`, `1.5s`, `2m`, `1h`) in milliseconds.
 * A bare number is read in `bareUnit`, which the flag or key states in its help (seconds for
 * `--duration`, milliseconds in SLO terms); without one a bare number is not a duration.
 * Undefined when the text is not a duration.
 */
export function readDurationMs(text: string, bareUnit?: DurationUnit): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  const unit = (match?.[2] as DurationUnit | undefined) ?? bareUnit;
  return match && unit !== undefined ? Number(match[1]) * DURATION_FACTOR_MS[unit] : undefined;
}

/** readDurationMs that throws a USAGE error naming the grammar; bare numbers are seconds unless told. */
export function parseDurationMs(text: string, bareUnit: DurationUnit = 's'): number {
  const ms = readDurationMs(text, bareUnit);
  if (ms === undefined) {
    throw new KittError('USAGE', `"${text}" is not a duration`, {
      hint: `write a number with a unit, e.g. ${DURATION_EXAMPLES}`,
    });
  }
  return ms;
}

export function nsToMs(ns: bigint | number): number {
  return Number(ns) / 1e6;
}
