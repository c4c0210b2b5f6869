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

/** Parses Docker-style sizes (`512m`, `4g`, `1.5GiB`, `1048576`) into bytes, binary multiples as Docker does. */
export function parseBytes(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const multiplier = match ? BYTE_UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || multiplier === undefined) {
    throw new KittError('USAGE', `"${text}" is not a size`, {
      hint: 'write a number with an optional unit, e.g. 512m, 4g or 1.5GiB',
    });
  }
  return Math.round(Number(match[1]) * multiplier);
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

/** Parses durations such as `30s`, `500ms`, `2m`, `1h` or a bare number of seconds into milliseconds. */
export function parseDurationMs(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!match) {
    throw new KittError('USAGE', `"${text}" is not a duration`, {
      hint: 'write a number with a unit, e.g. 500ms, 30s, 2m or 1h',
    });
  }
  const value = Number(match[1]);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'] ?? 1000;
  return value * factor;
}

export function nsToMs(ns: bigint | number): number {
  return Number(ns) / 1e6;
}
