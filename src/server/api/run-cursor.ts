import type { RunSortField } from '../../store/store-types.js';
import { HttpError } from './api-errors.js';
import type { SortParam } from './api-schemas.js';

/** A parsed `sort` parameter: a field, `-` first for descending. */
export function parseSort(sort: SortParam): { field: RunSortField; descending: boolean } {
  return sort.startsWith('-')
    ? { field: sort.slice(1) as RunSortField, descending: true }
    : { field: sort as RunSortField, descending: false };
}

/** The cursor names the sort it was made for, so it cannot page another order by mistake. */
export function encodeCursor(sort: SortParam, value: string, id: string): string {
  return Buffer.from(JSON.stringify([sort, value, id])).toString('base64url');
}

export function decodeCursor(cursor: string, sort: SortParam): { value: string; id: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || !parsed.every((part) => typeof part === 'string')) {
    throw new HttpError(
      'VALIDATION',
      'cursor is not one this server gave',
      'pass nextCursor from the page before unchanged',
    );
  }
  const [made, value, id] = parsed as [string, string, string];
  if (made !== sort) {
    throw new HttpError(
      'VALIDATION',
      `cursor was made for sort=${made}, not sort=${sort}`,
      `page with sort=${made}, or start again without a cursor`,
    );
  }
  return { value, id };
}
