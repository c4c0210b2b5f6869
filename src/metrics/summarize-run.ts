import type { DistributionSummary } from './latency-histogram.js';
import {
  type EncodedHistograms,
  emptyHistograms,
  encodeHistograms,
  type LatencyMetricName,
  recordRequest,
  summarizeHistograms,
} from './metric-histograms.js';
import { deriveRequestMetrics, type RequestMetrics } from './request-metrics.js';
import type { RequestErrorKind, RequestRecord } from './request-record.js';
import { meetsSlo, missedSlos, SLO_METRICS, SLO_NAMES, type SloBounds, type SloName, type SloTerm } from './slo.js';

export const RUN_METRICS_SCHEMA = 'kitt.run-metrics.v1';

/** A span of the run's monotonic clock, in milliseconds. */
export interface TimeWindow {
  readonly startMs: number;
  readonly endMs: number;
}

export interface SloResult {
  readonly bounds: SloBounds;
  /** Measure-phase requests that succeeded and met every bound. */
  readonly goodRequests: number;
  /** Requests the attainment is taken over: measure phase, succeeded + failed + dropped (aborted excluded). */
  readonly eligibleRequests: number;
  /** goodRequests (ended inside the window) / window seconds. */
  readonly goodputRequestsPerS: number | null;
  /** Output tokens of those good requests / window seconds. */
  readonly goodputOutputTokensPerS: number | null;
  /** goodRequests / eligibleRequests × 100; null with no eligible request. */
  readonly attainmentPercent: number | null;
  /** How many succeeded requests missed each bound (a request can miss several). */
  readonly missedBy: Partial<Record<SloName, number>>;
  /** Percentile terms (`ttft-p99=800ms`), each judged once against the run's distribution. */
  readonly percentiles: readonly PercentileVerdict[];
}

/** One percentile term of the SLO against what the run measured. */
export interface PercentileVerdict {
  /** The term as written, e.g. `ttft-p99=800ms`. */
  readonly term: string;
  readonly boundMs: number;
  /** The run's value of that percentile; null when no request measured it. */
  readonly measuredMs: number | null;
  /** null when nothing was measured: an SLO cannot be met by an empty run. */
  readonly met: boolean | null;
}

/**
 * Everything kitt reports about one run: plain JSON, units in the names. Latency distributions sit at
 * the top level under their metric names (`ttftMs.p99`); `histograms` keeps them mergeable.
 */
export type RunMetrics = {
  readonly schema: typeof RUN_METRICS_SCHEMA;
  /** The steady-state window throughput is measured over; `source` says who chose it. */
  readonly window: TimeWindow & { readonly durationS: number; readonly source: 'measured-records' | 'given' };
  readonly requests: {
    /** Measure-phase records, whatever their outcome. */
    readonly total: number;
    readonly succeeded: number;
    /** http-status, timeout, connection and protocol errors. */
    readonly failed: number;
    /** Never sent: no free slot under the in-flight cap. Not a failure of the engine. */
    readonly dropped: number;
    /** Cut short by the run being interrupted. */
    readonly aborted: number;
    /** Succeeded without a single content token (no TTFT). */
    readonly succeededWithoutContent: number;
    /** Succeeded requests that ended inside the window: the numerator of the throughputs. */
    readonly succeededInWindow: number;
    readonly errorsByKind: Partial<Record<RequestErrorKind, number>>;
    /** Measure-phase requests sent a second time after a stale keep-alive connection closed unanswered. */
    readonly retried: number;
  };
  readonly throughput: {
    readonly requestsPerS: number | null;
    readonly outputTokensPerS: number | null;
    readonly promptTokensPerS: number | null;
    /** (prompt + output tokens) / window seconds. */
    readonly totalTokensPerS: number | null;
  };
  readonly tokens: {
    readonly promptTotal: number;
    readonly outputTotal: number;
    readonly outputPerRequestMean: number | null;
    /** Succeeded requests by where their output count came from. */
    readonly outputTokenSource: Record<RequestRecord['outputTokenSource'], number>;
    /** Succeeded requests whose stream arrivals account for a different number of tokens than outputTokens. */
    readonly arrivalCountMismatches: number;
  };
  readonly concurrency: {
    /** Σ over requests of time in flight (send → end) inside the window / window length (Little's law). */
    readonly meanInFlight: number | null;
    readonly peakInFlight: number;
  };
  readonly slo: SloResult | null;
  readonly histograms: EncodedHistograms;
} & { readonly [name in LatencyMetricName]: DistributionSummary };

export interface SummarizeRunOptions {
  readonly slo?: SloBounds;
  /** Percentile terms of the SLO (`ttft-p99=800ms`); they make an SLO result even without bounds. */
  readonly sloPercentiles?: readonly SloTerm[];
  /** Defaults to [first measured send, last measured end]. */
  readonly window?: TimeWindow;
}

/**
 * Summarises a run's request records (pure). Only phase 'measure' counts. Request counts and latency
 * distributions cover every measure-phase record (latencies only succeeded ones); throughputs and
 * goodput count the succeeded measure-phase requests that ended inside the window and divide by the
 * window's length. With the default window those are the same requests.
 */
export function summarizeRun(records: readonly RequestRecord[], options: SummarizeRunOptions = {}): RunMetrics {
  const measured = records.filter((r) => r.phase === 'measure');
  const window = options.window ?? measuredWindow(measured);
  const durationS = Math.max(0, (window.endMs - window.startMs) / 1000);
  const perSecond = (count: number) => (durationS > 0 ? count / durationS : null);
  const inWindow = (r: RequestRecord) => r.endAtMs >= window.startMs && r.endAtMs <= window.endMs;

  const derived = measured.map((record) => ({ record, metrics: deriveRequestMetrics(record) }));
  const succeeded = derived.filter((d) => d.metrics.outcome === 'succeeded');
  const counted = succeeded.filter((d) => inWindow(d.record));
  const histograms = emptyHistograms();
  for (const { metrics } of succeeded) recordRequest(histograms, metrics);

  const outputTotal = sum(counted.map((d) => d.record.outputTokens));
  const promptTotal = sum(counted.map((d) => d.record.promptTokens ?? 0));
  const outcomes = countBy(derived.map((d) => d.metrics.outcome));
  const distributions = summarizeHistograms(histograms);
  return {
    schema: RUN_METRICS_SCHEMA,
    window: { ...window, durationS, source: options.window ? 'given' : 'measured-records' },
    requests: {
      total: measured.length,
      succeeded: outcomes.succeeded ?? 0,
      failed: outcomes.failed ?? 0,
      dropped: outcomes.dropped ?? 0,
      aborted: outcomes.aborted ?? 0,
      succeededWithoutContent: succeeded.filter((d) => d.metrics.ttftMs === null).length,
      succeededInWindow: counted.length,
      errorsByKind: countBy(measured.flatMap((r) => (r.error ? [r.error.kind] : []))),
      retried: measured.filter((r) => (r.retries ?? 0) > 0).length,
    },
    throughput: {
      requestsPerS: perSecond(counted.length),
      outputTokensPerS: perSecond(outputTotal),
      promptTokensPerS: perSecond(promptTotal),
      totalTokensPerS: perSecond(outputTotal + promptTotal),
    },
    tokens: {
      promptTotal,
      outputTotal,
      outputPerRequestMean: counted.length > 0 ? outputTotal / counted.length : null,
      outputTokenSource: {
        usage: 0,
        chunks: 0,
        engine: 0,
        ...countBy(succeeded.map((d) => d.record.outputTokenSource)),
      },
      arrivalCountMismatches: succeeded.filter(
        (d) => d.record.arrivals.length > 0 && d.metrics.arrivalTokens !== d.metrics.outputTokens,
      ).length,
    },
    concurrency: inFlight(measured, window),
    ...distributions,
    slo:
      options.slo || options.sloPercentiles?.length
        ? {
            ...summarizeSlo(derived, counted, options.slo ?? {}, perSecond),
            percentiles: judgePercentiles(options.sloPercentiles ?? [], distributions),
          }
        : null,
    histograms: encodeHistograms(histograms),
  };
}

function measuredWindow(measured: readonly RequestRecord[]): TimeWindow {
  // Loops, not Math.min(...spread): a long run has more records than a call has argument slots.
  let startMs = Number.POSITIVE_INFINITY;
  let endMs = Number.NEGATIVE_INFINITY;
  for (const r of measured) {
    if (r.sentAtMs === null) continue;
    startMs = Math.min(startMs, r.sentAtMs);
    endMs = Math.max(endMs, r.endAtMs);
  }
  return Number.isFinite(startMs) ? { startMs, endMs } : { startMs: 0, endMs: 0 };
}

/**
 * Mean in-flight = ∫ in-flight(t) dt over the window / window length = Σ |[sent, end] ∩ window| / length.
 * Peak = the most requests whose [sent, end) intervals overlap at one instant inside the window.
 */
function inFlight(measured: readonly RequestRecord[], window: TimeWindow): RunMetrics['concurrency'] {
  const lengthMs = window.endMs - window.startMs;
  const events: Array<[number, number]> = [];
  let busyMs = 0;
  for (const r of measured) {
    if (r.sentAtMs === null) continue;
    const from = Math.max(r.sentAtMs, window.startMs);
    const to = Math.min(r.endAtMs, window.endMs);
    if (to <= from) continue;
    busyMs += to - from;
    events.push([from, 1], [to, -1]);
  }
  // Ends sort before starts at the same instant: a slot handed over is not two requests in flight.
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let peak = 0;
  for (const [, delta] of events) {
    current += delta;
    peak = Math.max(peak, current);
  }
  return { meanInFlight: lengthMs > 0 ? busyMs / lengthMs : null, peakInFlight: peak };
}

type Derived = { readonly record: RequestRecord; readonly metrics: RequestMetrics };

function summarizeSlo(
  derived: readonly Derived[],
  counted: readonly Derived[],
  bounds: SloBounds,
  perSecond: (count: number) => number | null,
): Omit<SloResult, 'percentiles'> {
  const eligible = derived.filter((d) => d.metrics.outcome !== 'aborted');
  const good = eligible.filter((d) => meetsSlo(d.metrics, bounds));
  const goodInWindow = counted.filter((d) => meetsSlo(d.metrics, bounds));
  const missed = countBy(
    derived.filter((d) => d.metrics.outcome === 'succeeded').flatMap((d) => missedSlos(d.metrics, bounds)),
  );
  const missedBy: Partial<Record<SloName, number>> = {};
  for (const name of SLO_NAMES) if (bounds[name] !== undefined) missedBy[name] = missed[name] ?? 0;
  return {
    bounds,
    goodRequests: good.length,
    eligibleRequests: eligible.length,
    goodputRequestsPerS: perSecond(goodInWindow.length),
    goodputOutputTokensPerS: perSecond(sum(goodInWindow.map((d) => d.record.outputTokens))),
    attainmentPercent: eligible.length > 0 ? (good.length / eligible.length) * 100 : null,
    missedBy,
  };
}

/**
 * The distribution each SLO metric's percentile is read from. `itl-max` bounds a request's largest
 * gap; as a percentile term (`itl-p99`) it reads the per-token ITL distribution, as vLLM's `itl` does.
 */
const PERCENTILE_SOURCE: Record<SloName, LatencyMetricName> = {
  ttftMs: 'ttftMs',
  ttftFromScheduleMs: 'ttftFromScheduleMs',
  tpotMs: 'tpotMs',
  itlMaxMs: 'itlMs',
  e2eMs: 'e2eMs',
  e2eFromScheduleMs: 'e2eFromScheduleMs',
};

export function judgePercentiles(
  terms: readonly SloTerm[],
  distributions: Record<LatencyMetricName, DistributionSummary>,
): PercentileVerdict[] {
  return terms.flatMap((term) => {
    if (term.percentile === undefined) return [];
    const summary = distributions[PERCENTILE_SOURCE[SLO_METRICS[term.metric]]];
    const measuredMs = summary[`p${term.percentile}`];
    return [
      {
        term: term.text,
        boundMs: term.boundMs,
        measuredMs,
        met: measuredMs === null ? null : measuredMs <= term.boundMs,
      },
    ];
  });
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function countBy<K extends string>(keys: readonly K[]): Partial<Record<K, number>> {
  const counts: Partial<Record<K, number>> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}

/**
 * The run's warning when servers sent implausible token counts (RequestRecord.invalidUsage), fed
 * one record at a time: how many requests, the first reason, and that their output tokens were
 * counted from the stream.
 */
export class InvalidUsageTally {
  private count = 0;
  private first: string | undefined;

  add(record: RequestRecord): void {
    if (record.invalidUsage === undefined) return;
    this.count++;
    this.first ??= record.invalidUsage;
  }

  warnings(): string[] {
    if (this.count === 0) return [];
    const requests = this.count === 1 ? '1 request' : `${this.count} requests`;
    return [`${requests} had invalid usage counts (${this.first}): their output tokens are counted from the stream`];
  }
}
