import { OptionIssues } from '../core/option-issues.js';
import { readDurationMs } from '../core/units.js';
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

/** The metrics an SLO term may name, as written in `--slo`, and the per-request bound each sets. */
export const SLO_METRICS = {
  ttft: 'ttftMs',
  'ttft-from-schedule': 'ttftFromScheduleMs',
  tpot: 'tpotMs',
  'itl-max': 'itlMaxMs',
  e2e: 'e2eMs',
  'e2e-from-schedule': 'e2eFromScheduleMs',
} as const satisfies Record<string, SloName>;
export type SloMetric = keyof typeof SLO_METRICS;

/** Other spellings of the same metrics (vLLM's and AIPerf's `itl`, `e2el`). */
const METRIC_ALIASES: Record<string, SloMetric> = { itl: 'itl-max', e2el: 'e2e' };

/** Percentiles a term may name (`ttft-p99`). */
export const SLO_PERCENTILES = [50, 90, 95, 99] as const;
export type SloPercentile = (typeof SLO_PERCENTILES)[number];

/** The example every help text, doc and error message shows (both commands take it). */
export const SLO_EXAMPLE = 'ttft=500ms,tpot=50ms';
/** A percentile term: judged once against a run (kitt run) or against each window (kitt calibrate). */
export const SLO_PERCENTILE_EXAMPLE = 'ttft-p99=800ms';

/**
 * One term of an SLO: `ttft=500ms` bounds every request (a request is good when it meets all such
 * bounds); `ttft-p99=1s` bounds a percentile of the measured requests.
 */
export interface SloTerm {
  readonly metric: SloMetric;
  readonly percentile?: SloPercentile;
  readonly boundMs: number;
  /** The term as written, for messages. */
  readonly text: string;
}

const TERM = /^([a-z][a-z0-9-]*?)(?:-p(\d+))?\s*=\s*(.+)$/;

/**
 * kitt's one SLO grammar, for `kitt run` and `kitt calibrate` alike: comma-separated terms
 * `METRIC[-pNN]=DURATION`, e.g. `ttft=500ms,tpot=50ms,ttft-p99=1s`. Durations use the core grammar
 * (`500ms`, `1s`); a bare number is milliseconds, as in vLLM's `--goodput ttft:500`.
 * Every bad term becomes an issue (not just the first); undefined when there was one.
 */
export function readSlo(text: string, issues: OptionIssues, flag = '--slo'): SloTerm[] | undefined {
  const terms: SloTerm[] = [];
  const before = issues.list.length;
  const metrics = Object.keys(SLO_METRICS).join(', ');
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  if (entries.length === 0) issues.add(`${flag} is empty`, `e.g. ${flag} ${SLO_EXAMPLE}`);
  for (const entry of entries) {
    const match = TERM.exec(entry.toLowerCase());
    const metric = match ? (METRIC_ALIASES[match[1]!] ?? match[1]!) : '';
    if (!match || !(metric in SLO_METRICS)) {
      issues.add(
        `${flag} term "${entry}" is not METRIC[-pNN]=DURATION`,
        `METRIC is one of ${metrics}; e.g. ${flag} ${SLO_EXAMPLE}`,
      );
      continue;
    }
    const percentile = match[2] === undefined ? undefined : Number(match[2]);
    if (percentile !== undefined && !(SLO_PERCENTILES as readonly number[]).includes(percentile)) {
      issues.add(
        `${flag} term "${entry}" names p${match[2]}`,
        `use one of ${SLO_PERCENTILES.map((p) => `-p${p}`).join(', ')}, e.g. ${metric}-p99=1s`,
      );
      continue;
    }
    const boundMs = readDurationMs(match[3]!, 'ms');
    if (boundMs === undefined || !(boundMs > 0)) {
      issues.add(
        `${flag} term "${entry}" needs a duration above 0`,
        `write e.g. ${metric}${percentile ? `-p${percentile}` : ''}=500ms or =1s (a bare number is milliseconds)`,
      );
      continue;
    }
    const term = { metric: metric as SloMetric, boundMs, text: entry };
    terms.push(percentile === undefined ? term : { ...term, percentile: percentile as SloPercentile });
  }
  return issues.list.length === before ? terms : undefined;
}

/** readSlo for callers that want one USAGE error listing every bad term. */
export function parseSlo(text: string, flag = '--slo'): SloTerm[] {
  const issues = new OptionIssues();
  const terms = readSlo(text, issues, flag);
  issues.throwIfAny();
  return terms!;
}

/** The terms of an SLO that bound a percentile of the run (`ttft-p99=800ms`), judged once per run. */
export function percentileTerms(terms: readonly SloTerm[]): SloTerm[] {
  return terms.filter((term) => term.percentile !== undefined);
}

/** The per-request bounds of an SLO (its terms without a percentile), as goodput counts them. */
export function requestBounds(terms: readonly SloTerm[]): SloBounds {
  const bounds: Partial<Record<SloName, number>> = {};
  for (const term of terms) if (term.percentile === undefined) bounds[SLO_METRICS[term.metric]] = term.boundMs;
  return bounds;
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
