import type { RequestRecord } from './request-record.js';
import type { SloBounds, SloTerm } from './slo.js';
import { CompletionRate, RAMP_SLICES, type StageFigures, StagesAccumulator } from './stage-accumulator.js';
import type { RunMetrics, TimeWindow } from './summarize-run.js';

export { RAMP_SLICES };

/**
 * One row per stage of a run (a sweep's levels), each summarised over that stage's own records and
 * window (a RunAccumulator per stage, fed as records complete), plus where the server bends (the
 * knee) and the level of most goodput. Pure: records or accumulated figures in, figures out.
 */

/** What a stage offered: an arrival rate (open loop) or a number of users (closed loop). */
export type StageUnit = 'req/s' | 'concurrency';

/** A stage as the load planned and ran it (the caller maps its load result to this). */
export interface StageInput {
  readonly stage: number;
  /** The stage's load kind (`constant-rate`, `fixed-concurrency`, ...). */
  readonly kind: string;
  readonly unit: StageUnit;
  /** The offered rate or concurrency; null where it moves (ramps). */
  readonly offered: number | null;
  /** The stage's measured window (first measured schedule → last measured end); null when nothing was measured. */
  readonly window: TimeWindow | null;
  /** A ramp's level moves from `from` to `to` over durationS of its measured phase: it is cut into RAMP_SLICES rows. */
  readonly ramp?: { readonly from: number; readonly to: number; readonly durationS: number };
}

type Percentiles = { readonly p50: number | null; readonly p90: number | null; readonly p99: number | null };

export interface StageSummary {
  readonly stage: number;
  /** The slice of a ramp (0-based); null for a stage taken whole. */
  readonly slice: number | null;
  readonly kind: string;
  readonly unit: StageUnit;
  readonly offered: number | null;
  /**
   * Open loop: the completion rate (n − 1) / (last end − first end) over the stage's succeeded
   * measured requests, which follows the arrivals while the server keeps up and its capacity when
   * it does not. Closed loop: the mean number in flight (Little's law, RunMetrics.concurrency).
   */
  readonly achieved: number | null;
  readonly windowS: number;
  readonly requests: {
    readonly total: number;
    readonly succeeded: number;
    readonly failed: number;
    readonly dropped: number;
    readonly aborted: number;
  };
  /** failed + dropped (aborted requests are the run's interruption, not the server's). */
  readonly errors: number;
  readonly requestsPerS: number | null;
  readonly outputTokensPerS: number | null;
  readonly ttftMs: Percentiles;
  readonly tpotMs: Percentiles;
  readonly itlMs: Percentiles;
  readonly e2eMs: Percentiles;
  /** null without SLO bounds. */
  readonly goodputRequestsPerS: number | null;
  readonly sloAttainmentPercent: number | null;
}

/** The rule the knee is found by, stored beside it so a reader knows what was asked. */
export interface KneeRule {
  /** A level keeps up when achieved ≥ keepUpFraction × offered. */
  readonly keepUpFraction: number;
  /** Latency turned up when the stage's p50 exceeds latencyFactor × the previous level's p50 ... */
  readonly latencyFactor: number;
  /** ... and is more than latencyFloorMs above it (small latencies move by noise alone). */
  readonly latencyFloorMs: number;
}

export const DEFAULT_KNEE_RULE: KneeRule = { keepUpFraction: 0.9, latencyFactor: 1.5, latencyFloorMs: 5 };

export interface StageKnee {
  readonly stage: number;
  readonly slice: number | null;
  readonly offered: number;
  /** false: every level kept up, so the server did not bend within the levels swept. */
  readonly bent: boolean;
  /** Why the next level was past it (absent when not bent). */
  readonly reason?: string;
}

export interface StagesSummary {
  readonly stages: readonly StageSummary[];
  /** The latency the knee watches: TTFT p50 when every stage measured one, else E2E p50. */
  readonly kneeLatency: 'ttftMs.p50' | 'e2eMs.p50';
  readonly kneeRule: KneeRule;
  /** The highest level that kept up with latency not turned up; null with fewer than two levels or none that kept up. */
  readonly knee: StageKnee | null;
  /** The stage with the most goodput (with an SLO) or requests/s (without one). */
  readonly maxGoodput: {
    readonly stage: number;
    readonly slice: number | null;
    readonly offered: number | null;
    readonly requestsPerS: number;
    readonly basis: 'goodput' | 'requests-per-s';
  } | null;
}

export interface SummarizeStagesOptions {
  readonly slo?: SloBounds;
  readonly sloPercentiles?: readonly SloTerm[];
  readonly kneeRule?: KneeRule;
}

/**
 * The stages table of a run from its records: the records go through a StagesAccumulator (a
 * ramp's slices counted from its window's start) and the rows come out as summarizeStageFigures
 * makes them. For records read back after a run (results export, tests).
 */
export function summarizeStages(
  records: Iterable<RequestRecord>,
  stages: readonly StageInput[],
  options: SummarizeStagesOptions = {},
): StagesSummary {
  const ramps = new Map<number, number>();
  for (const input of stages) if (input.ramp) ramps.set(input.stage, input.ramp.durationS);
  const accumulator = new StagesAccumulator({ ...sloOptions(options), ramps });
  for (const input of stages)
    if (input.ramp && input.window) accumulator.measureStarted(input.stage, input.window.startMs);
  for (const record of records) accumulator.add(record);
  return summarizeStageFigures(accumulator, stages, options);
}

/** The accumulator options that carry the SLO (the knee rule is the summary's own). */
export function sloOptions(options: SummarizeStagesOptions): Pick<SummarizeStagesOptions, 'slo' | 'sloPercentiles'> {
  return {
    ...(options.slo ? { slo: options.slo } : {}),
    ...(options.sloPercentiles ? { sloPercentiles: options.sloPercentiles } : {}),
  };
}

/**
 * One row per stage from what a StagesAccumulator gathered (made with the same SLO as `options`),
 * plus the knee and the level of most goodput. A ramp with a measured window becomes RAMP_SLICES
 * rows: a slice holds the measured requests scheduled in its fifth of the measured phase, offers
 * the ramp's level at the slice's middle, and is measured over its own records' window.
 */
export function summarizeStageFigures(
  accumulator: StagesAccumulator,
  stages: readonly StageInput[],
  options: SummarizeStagesOptions = {},
): StagesSummary {
  const rows = stages.flatMap((input) => {
    const slices = input.ramp && input.window ? accumulator.sliceFigures(input.stage) : null;
    if (!slices || !input.ramp) return [summarizeStage(input, accumulator.wholeFigures(input.stage))];
    const { from, to } = input.ramp;
    return slices.map((figures, slice) =>
      summarizeStage(
        { ...input, slice, offered: from + ((to - from) * (slice + 0.5)) / RAMP_SLICES, window: figures.window },
        figures,
      ),
    );
  });
  const kneeLatency = rows.every((r) => r.ttftMs.p50 !== null) ? 'ttftMs.p50' : 'e2eMs.p50';
  const kneeRule = options.kneeRule ?? DEFAULT_KNEE_RULE;
  return {
    stages: rows,
    kneeLatency,
    kneeRule,
    knee: findKnee(rows, kneeLatency, kneeRule),
    maxGoodput: findMaxGoodput(rows),
  };
}

function summarizeStage(input: StageInput & { slice?: number }, figures: StageFigures): StageSummary {
  const metrics = figures.summarize(input.window);
  const { requests: r } = metrics;
  const pick = (name: 'ttftMs' | 'tpotMs' | 'itlMs' | 'e2eMs'): Percentiles => ({
    p50: metrics[name].p50,
    p90: metrics[name].p90,
    p99: metrics[name].p99,
  });
  return {
    stage: input.stage,
    slice: input.slice ?? null,
    kind: input.kind,
    unit: input.unit,
    offered: input.offered,
    achieved: input.unit === 'req/s' ? figures.completionRate : metrics.concurrency.meanInFlight,
    windowS: metrics.window.durationS,
    requests: { total: r.total, succeeded: r.succeeded, failed: r.failed, dropped: r.dropped, aborted: r.aborted },
    errors: r.failed + r.dropped,
    requestsPerS: metrics.throughput.requestsPerS,
    outputTokensPerS: metrics.throughput.outputTokensPerS,
    ttftMs: pick('ttftMs'),
    tpotMs: pick('tpotMs'),
    itlMs: pick('itlMs'),
    e2eMs: pick('e2eMs'),
    ...goodputOf(metrics),
  };
}

function goodputOf(metrics: RunMetrics): Pick<StageSummary, 'goodputRequestsPerS' | 'sloAttainmentPercent'> {
  const slo = metrics.slo;
  const hasBounds = slo !== null && Object.keys(slo.bounds).length > 0;
  return {
    goodputRequestsPerS: hasBounds ? slo.goodputRequestsPerS : null,
    sloAttainmentPercent: hasBounds ? slo.attainmentPercent : null,
  };
}

/**
 * Completion rate = (n − 1) / (last end − first end) over succeeded measured requests: the rate
 * answers leave the server. Unlike count / window it is not diluted by the first request's latency
 * or the drain, so a stage that keeps up reads its offered rate even when it is short.
 */
export function completionRate(records: Iterable<RequestRecord>): number | null {
  const rate = new CompletionRate();
  for (const record of records) rate.add(record);
  return rate.value();
}

/**
 * The knee: walking the levels from the lowest offered, the last one that (a) kept up — achieved ≥
 * keepUpFraction × offered — and (b) whose latency p50 did not turn up against the previous level
 * (p50 > latencyFactor × previous p50 and more than latencyFloorMs above it). The first level that
 * fails either test ends the walk; the knee is the level before it.
 */
export function findKnee(
  rows: readonly StageSummary[],
  latency: StagesSummary['kneeLatency'],
  rule: KneeRule,
): StageKnee | null {
  const levels = rows.filter((r) => r.offered !== null).sort((a, b) => a.offered! - b.offered!);
  if (levels.length < 2) return null;
  const p50 = (row: StageSummary) => (latency === 'ttftMs.p50' ? row.ttftMs.p50 : row.e2eMs.p50);
  let knee: StageSummary | null = null;
  for (const [index, row] of levels.entries()) {
    const failed = whyPast(row, index === 0 ? null : levels[index - 1]!, p50, rule, latency);
    if (failed !== null) {
      return knee ? { stage: knee.stage, slice: knee.slice, offered: knee.offered!, bent: true, reason: failed } : null;
    }
    knee = row;
  }
  return knee ? { stage: knee.stage, slice: knee.slice, offered: knee.offered!, bent: false } : null;
}

function whyPast(
  row: StageSummary,
  previous: StageSummary | null,
  p50: (row: StageSummary) => number | null,
  rule: KneeRule,
  latency: string,
): string | null {
  const unit = row.unit === 'req/s' ? ' req/s' : '';
  if (row.achieved === null || row.achieved < rule.keepUpFraction * row.offered!) {
    const achieved = row.achieved === null ? 'nothing' : row.achieved.toFixed(2);
    return `at ${row.offered}${unit} it achieved ${achieved}${unit}, below ${rule.keepUpFraction * 100} % of offered`;
  }
  if (previous === null) return null;
  const now = p50(row);
  const before = p50(previous);
  if (now === null || before === null) return null;
  if (now > rule.latencyFactor * before && now - before > rule.latencyFloorMs) {
    return `at ${row.offered}${unit} ${latency} rose from ${before.toFixed(1)} to ${now.toFixed(1)} ms (more than ${rule.latencyFactor}×)`;
  }
  return null;
}

function findMaxGoodput(rows: readonly StageSummary[]): StagesSummary['maxGoodput'] {
  const withSlo = rows.some((r) => r.goodputRequestsPerS !== null);
  let best: StagesSummary['maxGoodput'] = null;
  for (const row of rows) {
    const value = withSlo ? row.goodputRequestsPerS : row.requestsPerS;
    if (value === null || (best !== null && value <= best.requestsPerS)) continue;
    best = {
      stage: row.stage,
      slice: row.slice,
      offered: row.offered,
      requestsPerS: value,
      basis: withSlo ? 'goodput' : 'requests-per-s',
    };
  }
  return best;
}
