import { KittError } from '../core/errors.js';
import type { RequestMetrics } from './request-metrics.js';

/**
 * Upper bounds a request must meet to count as good (all in milliseconds, each optional). A request
 * is good when it succeeded and meets EVERY bound given (DistServe's goodput definition, as in vLLM,
 * GuideLLM and AIPerf).
 */
export interface SloBounds {
  /** TTFT from send. A succeeded request without content output fails it. */
  readonly ttftMs?: number;
  /** TTFT from the scheduled send (includes queue time). */
  readonly ttftFromScheduleMs?: number;
  /** TPOT; met vacuously when the request produced ≤ 1 token (no inter-token interval exists, as in vLLM). */
  readonly tpotMs?: number;
  /** The request's largest per-token inter-token interval; met vacuously with fewer than 2 tokens. */
  readonly itlMaxMs?: number;
  /** E2E from send. */
  readonly e2eMs?: number;
  /** E2E from the scheduled send (coordinated-omission-free). */
  readonly e2eFromScheduleMs?: number;
}

export type SloName = keyof SloBounds;

/** Every SLO kitt knows, in a fixed order (used for validation, rendering and counting). */
export const SLO_NAMES: readonly SloName[] = [
  'ttftMs',
  'ttftFromScheduleMs',
  'tpotMs',
  'itlMaxMs',
  'e2eMs',
  'e2eFromScheduleMs',
];

/** Metric names accepted by parseSlo besides kitt's own: the vLLM / AIPerf spellings. */
const ALIASES: Record<string, SloName> = {
  ttft: 'ttftMs',
  tpot: 'tpotMs',
  e2el: 'e2eMs',
  e2e: 'e2eMs',
  itl: 'itlMaxMs',
};

/**
 * Parses `ttftMs=500,tpotMs=50` (also vLLM/AIPerf style `ttft:500 tpot:50`) into bounds.
 * Throws a one-line KittError naming the valid metrics on any bad entry.
 */
export function parseSlo(text: string): SloBounds {
  const bounds: Record<string, number> = {};
  for (const entry of text.split(/[\s,]+/).filter((e) => e.length > 0)) {
    const match = /^([A-Za-z][A-Za-z0-9]*)\s*[=:]\s*(\d+(?:\.\d+)?)(?:ms)?$/.exec(entry);
    const name = match
      ? (ALIASES[match[1]!] ?? (SLO_NAMES as readonly string[]).find((n) => n === match[1]))
      : undefined;
    if (!match || name === undefined) {
      throw new KittError('USAGE', `"${entry}" is not an SLO bound`, {
        hint: `write name=milliseconds with name one of ${SLO_NAMES.join(', ')} (or ttft, tpot, itl, e2el), e.g. ttftMs=500,tpotMs=50`,
      });
    }
    bounds[name] = Number(match[2]);
  }
  return validateSlo(bounds);
}

/** Checks that every bound is a known name with a positive finite number of milliseconds. */
export function validateSlo(bounds: Record<string, unknown>): SloBounds {
  for (const [name, value] of Object.entries(bounds)) {
    if (!(SLO_NAMES as readonly string[]).includes(name)) {
      throw new KittError('USAGE', `unknown SLO "${name}"`, { hint: `use one of ${SLO_NAMES.join(', ')}` });
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new KittError('USAGE', `SLO ${name} must be a positive number of milliseconds, got ${String(value)}`, {
        hint: `write e.g. ${name}=500`,
      });
    }
  }
  return bounds as SloBounds;
}

function valueFor(metrics: RequestMetrics, name: SloName): { value: number | null; vacuous: boolean } {
  switch (name) {
    case 'ttftMs':
      return { value: metrics.ttftMs, vacuous: false };
    case 'ttftFromScheduleMs':
      return { value: metrics.ttftFromScheduleMs, vacuous: false };
    case 'tpotMs':
      return { value: metrics.tpotMs, vacuous: metrics.tpotMs === null };
    case 'itlMaxMs':
      return { value: metrics.itlMaxMs, vacuous: metrics.itlMaxMs === null };
    case 'e2eMs':
      return { value: metrics.e2eMs, vacuous: false };
    case 'e2eFromScheduleMs':
      return { value: metrics.e2eFromScheduleMs, vacuous: false };
  }
}

/** The bounds a succeeded request misses (empty when it meets them all). */
export function missedSlos(metrics: RequestMetrics, bounds: SloBounds): SloName[] {
  return SLO_NAMES.filter((name) => {
    const bound = bounds[name];
    if (bound === undefined) return false;
    const { value, vacuous } = valueFor(metrics, name);
    if (vacuous) return false;
    return value === null || value > bound;
  });
}

/** A request is good when it succeeded and meets every given bound. */
export function meetsSlo(metrics: RequestMetrics, bounds: SloBounds): boolean {
  return metrics.outcome === 'succeeded' && missedSlos(metrics, bounds).length === 0;
}
