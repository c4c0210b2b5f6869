import { randomBytes } from 'node:crypto';

/**
 * Run ids sort by time and never collide within a second (KITT's did): UTC timestamp to the
 * millisecond plus 6 random hex digits, e.g. `20261123T121530123Z-3fa9c1`.
 */
export function newRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('.', '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** A short random suffix for container and process names. */
export function shortId(bytes = 4): string {
  return randomBytes(bytes).toString('hex');
}
