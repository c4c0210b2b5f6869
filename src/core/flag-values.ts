import type { OptionIssues } from './option-issues.js';
import { DURATION_EXAMPLES, type DurationUnit, readBytes, readDurationMs, SIZE_EXAMPLES } from './units.js';

/**
 * kitt's one parser per kind of flag value. Each takes the flag's name and text (undefined when
 * the flag was not given), returns the value, or records an issue naming the flag and a valid
 * example and returns undefined, so a command reports every bad flag at once.
 */
export interface FlagValues {
  /** A whole number ≥ 1 (`--requests 32`). */
  positiveInt(flag: string, text: string | undefined, example?: string): number | undefined;
  /** A whole number ≥ 0 (`--warmup 0`). */
  count(flag: string, text: string | undefined, example?: string): number | undefined;
  /** A number > 0 (`--rate 2.5`). */
  positiveNumber(flag: string, text: string | undefined, example?: string): number | undefined;
  /** A number ≥ 0 (`--from 0`). */
  nonNegativeNumber(flag: string, text: string | undefined, example?: string): number | undefined;
  /** Any whole number (`--seed -3`). */
  integer(flag: string, text: string | undefined, example?: string): number | undefined;
  /** A duration in the core grammar, in milliseconds; a bare number is in `bareUnit`. */
  durationMs(flag: string, text: string | undefined, bareUnit: DurationUnit): number | undefined;
  /** A Docker-style size in bytes. */
  bytes(flag: string, text: string | undefined): number | undefined;
  /** Comma-separated items, each read by `item` (which records its own issues). */
  list<T>(flag: string, text: string | undefined, item: (text: string) => T | undefined): T[] | undefined;
  /** One of `values`. */
  choice<T extends string>(flag: string, text: string | undefined, values: readonly T[]): T | undefined;
}

const UNIT_NAMES: Record<DurationUnit, string> = { ms: 'milliseconds', s: 'seconds', m: 'minutes', h: 'hours' };

export function flagValues(issues: OptionIssues): FlagValues {
  const number = (
    flag: string,
    text: string | undefined,
    ok: (value: number) => boolean,
    what: string,
    example: string,
  ): number | undefined => {
    if (text === undefined) return undefined;
    const value = text.trim() === '' ? Number.NaN : Number(text);
    if (ok(value)) return value;
    return issues.add(`${flag} must be ${what}, got "${text}"`, `e.g. ${flag} ${example}`);
  };
  return {
    positiveInt: (flag, text, example = '4') =>
      number(flag, text, (v) => Number.isInteger(v) && v >= 1, 'a whole number above 0', example),
    count: (flag, text, example = '4') =>
      number(flag, text, (v) => Number.isInteger(v) && v >= 0, 'a whole number (0 or more)', example),
    positiveNumber: (flag, text, example = '2.5') =>
      number(flag, text, (v) => Number.isFinite(v) && v > 0, 'a number above 0', example),
    nonNegativeNumber: (flag, text, example = '0.5') =>
      number(flag, text, (v) => Number.isFinite(v) && v >= 0, 'a number (0 or more)', example),
    integer: (flag, text, example = '7') => number(flag, text, (v) => Number.isInteger(v), 'a whole number', example),
    durationMs: (flag, text, bareUnit) => {
      if (text === undefined) return undefined;
      const ms = readDurationMs(text, bareUnit);
      if (ms !== undefined) return ms;
      return issues.add(
        `${flag} must be a duration, got "${text}"`,
        `write e.g. ${DURATION_EXAMPLES}; a bare number is ${UNIT_NAMES[bareUnit]}`,
      );
    },
    bytes: (flag, text) => {
      if (text === undefined) return undefined;
      const bytes = readBytes(text);
      if (bytes !== undefined) return bytes;
      return issues.add(`${flag} must be a size, got "${text}"`, `write e.g. ${flag} ${SIZE_EXAMPLES}`);
    },
    list: <T>(flag: string, text: string | undefined, item: (text: string) => T | undefined): T[] | undefined => {
      if (text === undefined) return undefined;
      const parts = text.split(',').map((part) => part.trim());
      if (parts.some((part) => part === '')) {
        return issues.add(
          `${flag} has an empty item in "${text}"`,
          `separate items with single commas, e.g. ${flag} 1,2,4`,
        );
      }
      const values = parts.map(item);
      return values.every((value) => value !== undefined) ? (values as T[]) : undefined;
    },
    choice: (flag, text, values) => {
      if (text === undefined) return undefined;
      if ((values as readonly string[]).includes(text)) return text as (typeof values)[number];
      return issues.add(`${flag} "${text}" is not one of ${values.join(', ')}`, `e.g. ${flag} ${values[0]}`);
    },
  };
}
