import { formatBytes } from '../../core/units.js';
import { formatMs } from '../../metrics/render-summary.js';

/** Figures as a person reads them: a unit, and digits that suit the size. "–" for none. */

export function formatLatency(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${formatMs(ms)} ms`;
}

export function formatRate(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const digits = value < 10 ? 2 : value < 100 ? 1 : 0;
  return `${value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })} ${unit}`;
}

export function formatSize(bytes: number | null | undefined): string {
  return bytes === null || bytes === undefined ? '–' : formatBytes(bytes);
}

/** An instant as UTC to the second: runs of a team in several time zones read the same. */
export function formatInstant(iso: string | null | undefined): string {
  return iso ? `${iso.slice(0, 19).replace('T', ' ')} UTC` : '–';
}

export function formatDuration(fromIso: string, toIso: string | null): string {
  if (!toIso) return '–';
  const seconds = (Date.parse(toIso) - Date.parse(fromIso)) / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}
