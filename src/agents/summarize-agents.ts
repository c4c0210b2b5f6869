import { type DistributionSummary, LatencyHistogram } from '../metrics/latency-histogram.js';
import type { StepRecord } from './step-record.js';

export const AGENTS_METRICS_SCHEMA = 'kitt.agents-metrics.v1';

/** Prompt tokens sent at one step index, over the agents that reached it: how the context grew. */
export interface ContextPoint {
  readonly step: number;
  readonly agents: number;
  readonly meanPromptTokens: number | null;
  readonly maxPromptTokens: number | null;
  readonly droppedTurns: number;
}

/** What the token bucket did: its rate, the rate the thinks really got, and how long they waited. */
export interface BucketSummary {
  readonly configuredTokensPerS: number;
  /**
   * Tokens charged by the thinks released after the first, over the time from the first release to
   * the last: the rate the bucket let through. It equals the configured rate while agents queue
   * for it (`waitedShare` near 1); below that the engine, not the bucket, set the pace.
   */
  readonly measuredTokensPerS: number | null;
  /** measured / configured − 1. */
  readonly relativeError: number | null;
  /** Share of thinks that waited for the bucket at all. */
  readonly waitedShare: number;
  readonly waitMs: DistributionSummary;
  readonly reservedTokens: number;
  readonly chargedTokens: number;
}

/** The cap on thinks in flight (compute.maxContexts or --max-contexts) and what it cost. */
export interface ContextCapSummary {
  readonly cap: number;
  /** The most thinks in flight at once, measured from the thinks' send and end times. */
  readonly peakInFlight: number;
  /** Share of thinks that waited for a slot at all. */
  readonly waitedShare: number;
  readonly waitMs: DistributionSummary;
}

/** The figures of an agents run, all functions of its step records. */
export interface AgentsMetrics {
  readonly steps: number;
  readonly agents: number;
  readonly durationS: number;
  readonly stepsPerS: number | null;
  /** Prompt + output tokens of the thinks that succeeded, over the run's duration. */
  readonly tokensPerS: number | null;
  readonly thinks: {
    readonly succeeded: number;
    readonly failed: number;
    readonly errors: Readonly<Record<string, number>>;
  };
  readonly thinkTtftMs: DistributionSummary;
  readonly thinkE2eMs: DistributionSummary;
  readonly tokensPerStep: DistributionSummary;
  readonly promptTokens: DistributionSummary;
  readonly outputTokens: DistributionSummary;
  /** Cached prompt tokens (prefix reuse) where the engine reported them; null when it never did. */
  readonly cachedPromptTokens: {
    readonly reported: number;
    readonly total: number;
    readonly shareOfPrompt: number | null;
  } | null;
  readonly context: { readonly series: readonly ContextPoint[]; readonly droppedTurns: number };
  /** Tool calls parsed from the engine's answers vs seeded stand-ins. */
  readonly toolCalls: { readonly model: number; readonly seeded: number; readonly none: number };
  readonly actMs: DistributionSummary;
  readonly recallMs: DistributionSummary;
  readonly rememberMs: DistributionSummary;
  readonly bucket: BucketSummary | null;
  /** Null when thinks were not capped. */
  readonly contexts: ContextCapSummary | null;
}

function distribution(values: Iterable<number>): DistributionSummary {
  const histogram = LatencyHistogram.empty();
  for (const value of values) histogram.record(value);
  return histogram.summarize();
}

/** Summarises step records; `configuredTokensPerS` is the global bucket's rate, undefined when unpaced. */
export function summarizeAgents(
  records: readonly StepRecord[],
  options: {
    readonly agents: number;
    readonly startMs: number;
    readonly endMs: number;
    readonly configuredTokensPerS?: number;
    /** The cap on thinks in flight, when there was one. */
    readonly contextCap?: number;
  },
): AgentsMetrics {
  const durationS = Math.max(0, options.endMs - options.startMs) / 1000;
  const ok = records.filter((r) => r.think.error === null);
  const errors: Record<string, number> = {};
  for (const r of records) if (r.think.error) errors[r.think.error.kind] = (errors[r.think.error.kind] ?? 0) + 1;
  const reported = ok.filter((r) => r.think.cachedTokens !== null);
  const cachedTotal = reported.reduce((sum, r) => sum + r.think.cachedTokens!, 0);
  const promptOfReported = reported.reduce((sum, r) => sum + (r.think.promptTokens ?? 0), 0);
  return {
    steps: records.length,
    agents: options.agents,
    durationS,
    stepsPerS: durationS > 0 ? records.length / durationS : null,
    tokensPerS:
      durationS > 0
        ? ok.reduce((sum, r) => sum + (r.think.promptTokens ?? 0) + r.think.outputTokens, 0) / durationS
        : null,
    thinks: { succeeded: ok.length, failed: records.length - ok.length, errors },
    thinkTtftMs: distribution(ok.flatMap((r) => (r.think.ttftMs === null ? [] : [r.think.ttftMs]))),
    thinkE2eMs: distribution(ok.map((r) => r.think.e2eMs)),
    tokensPerStep: distribution(ok.map((r) => (r.think.promptTokens ?? 0) + r.think.outputTokens)),
    promptTokens: distribution(ok.flatMap((r) => (r.think.promptTokens === null ? [] : [r.think.promptTokens]))),
    outputTokens: distribution(ok.map((r) => r.think.outputTokens)),
    cachedPromptTokens:
      reported.length === 0
        ? null
        : {
            reported: reported.length,
            total: cachedTotal,
            shareOfPrompt: promptOfReported > 0 ? cachedTotal / promptOfReported : null,
          },
    context: {
      series: contextSeries(records),
      droppedTurns: records.reduce((sum, r) => sum + r.context.droppedTurns, 0),
    },
    toolCalls: {
      model: records.filter((r) => r.act?.source === 'model').length,
      seeded: records.filter((r) => r.act?.source === 'seeded').length,
      none: records.filter((r) => r.act === null).length,
    },
    actMs: distribution(records.flatMap((r) => (r.act ? [r.act.ms] : []))),
    recallMs: distribution(records.map((r) => r.recall.ms)),
    rememberMs: distribution(records.map((r) => r.remember.ms)),
    bucket: options.configuredTokensPerS === undefined ? null : summarizeBucket(records, options.configuredTokensPerS),
    contexts:
      options.contextCap === undefined
        ? null
        : {
            cap: options.contextCap,
            peakInFlight: peakThinksInFlight(records),
            waitedShare: records.length === 0 ? 0 : records.filter((r) => r.contextWaitMs > 0).length / records.length,
            waitMs: distribution(records.map((r) => r.contextWaitMs)),
          },
  };
}

/**
 * The most thinks open at once: a sweep over sends (+1) and ends (−1), an end before a send at the
 * same instant (a slot released and taken again is one in flight, not two).
 */
export function peakThinksInFlight(records: readonly StepRecord[]): number {
  const events = records.flatMap((r) => [
    { atMs: r.think.sentAtMs, delta: 1 },
    { atMs: r.think.sentAtMs + r.think.e2eMs, delta: -1 },
  ]);
  events.sort((a, b) => a.atMs - b.atMs || a.delta - b.delta);
  let open = 0;
  let peak = 0;
  for (const event of events) {
    open += event.delta;
    peak = Math.max(peak, open);
  }
  return peak;
}

function contextSeries(records: readonly StepRecord[]): ContextPoint[] {
  const byStep = new Map<number, StepRecord[]>();
  for (const r of records) byStep.set(r.step, [...(byStep.get(r.step) ?? []), r]);
  return [...byStep.entries()]
    .sort(([a], [b]) => a - b)
    .map(([step, at]) => {
      const counted = at.flatMap((r) => (r.think.promptTokens === null ? [] : [r.think.promptTokens]));
      return {
        step,
        agents: at.length,
        meanPromptTokens: counted.length === 0 ? null : counted.reduce((a, b) => a + b, 0) / counted.length,
        maxPromptTokens: counted.length === 0 ? null : Math.max(...counted),
        droppedTurns: at.reduce((sum, r) => sum + r.context.droppedTurns, 0),
      };
    });
}

/** When the bucket let a step's think go: its send, which follows the release without an await between. */
export function releasedAtMs(record: StepRecord): number {
  return record.think.sentAtMs;
}

/**
 * The rate the bucket let through: Σ charged tokens of releases 2…n ÷ (t_n − t_1). With the bucket
 * starting empty and agents always queued, release i happens once the tokens charged before it
 * plus its estimate have been earned, so rate · (t_n − t_1) = Σ charged of 2…n up to the estimate
 * errors of the first and last think; the first release's own tokens were earned before t_1.
 */
export function summarizeBucket(records: readonly StepRecord[], configuredTokensPerS: number): BucketSummary {
  const paced = records.filter((r) => r.bucketTokens !== null).sort((a, b) => releasedAtMs(a) - releasedAtMs(b));
  const first = paced[0];
  const last = paced.at(-1);
  const spanMs = first && last ? releasedAtMs(last) - releasedAtMs(first) : 0;
  const afterFirst = paced.slice(1).reduce((sum, r) => sum + r.bucketTokens!.charged, 0);
  const measured = spanMs > 0 ? (afterFirst * 1000) / spanMs : null;
  return {
    configuredTokensPerS,
    measuredTokensPerS: measured,
    relativeError: measured === null ? null : measured / configuredTokensPerS - 1,
    waitedShare: paced.length === 0 ? 0 : paced.filter((r) => r.bucketWaitMs > 0).length / paced.length,
    waitMs: distribution(paced.map((r) => r.bucketWaitMs)),
    reservedTokens: paced.reduce((sum, r) => sum + r.bucketTokens!.reserved, 0),
    chargedTokens: paced.reduce((sum, r) => sum + r.bucketTokens!.charged, 0),
  };
}
