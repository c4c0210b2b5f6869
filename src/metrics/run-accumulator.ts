import { FloatColumn } from './float-column.js';
import type { LatencyMetricName } from './metric-histograms.js';
import { emptyHistograms, encodeHistograms, recordRequest, summarizeHistograms } from './metric-histograms.js';
import { deriveRequestMetrics } from './request-metrics.js';
import type { RequestErrorKind, RequestRecord } from './request-record.js';
import { meetsSlo, missedSlos, SLO_NAMES, type SloBounds, type SloName, type SloTerm } from './slo.js';
import { judgePercentiles, RUN_METRICS_SCHEMA, type RunMetrics, type TimeWindow } from './summarize-run.js';

/**
 * summarizeRun fed one record at a time, so a run of millions of requests needs no array of them:
 * counts and HDR histograms as records arrive, and of each request only the few numbers that
 * depend on a window known at the end (its send, its end, its tokens, whether it met the SLO),
 * in typed arrays. summarize() gives exactly what summarizeRun gives on the same records
 * (run-accumulator.test.ts checks it on random runs); summarizeRun stays as the reference.
 */
export class RunAccumulator {
  private readonly histograms = emptyHistograms();
  private readonly outcomes = { succeeded: 0, failed: 0, dropped: 0, aborted: 0 };
  private readonly errorsByKind: Partial<Record<RequestErrorKind, number>> = {};
  private readonly sources: Record<RequestRecord['outputTokenSource'], number> = { usage: 0, chunks: 0, engine: 0 };
  private readonly missed: Partial<Record<SloName, number>> = {};
  private total = 0;
  private retried = 0;
  private withoutContent = 0;
  private mismatches = 0;
  private eligible = 0;
  private good = 0;
  private firstSentMs = Number.POSITIVE_INFINITY;
  private lastEndMs = Number.NEGATIVE_INFINITY;
  // every sent measure-phase request, in arrival order: the in-flight integral and peak
  private readonly sentAt = new FloatColumn();
  private readonly endAt = new FloatColumn();
  // every succeeded one: what the window's throughputs and goodput count
  private readonly succeededEndAt = new FloatColumn();
  private readonly outputTokens = new FloatColumn();
  private readonly promptTokens = new FloatColumn();
  private readonly metSlo = new FloatColumn();

  constructor(
    private readonly options: { readonly slo?: SloBounds; readonly sloPercentiles?: readonly SloTerm[] } = {},
  ) {}

  /** Measure-phase records so far. */
  get requests(): number {
    return this.total;
  }

  add(record: RequestRecord): void {
    if (record.phase !== 'measure') return;
    this.total++;
    const metrics = deriveRequestMetrics(record);
    this.outcomes[metrics.outcome]++;
    if (record.error) this.errorsByKind[record.error.kind] = (this.errorsByKind[record.error.kind] ?? 0) + 1;
    if ((record.retries ?? 0) > 0) this.retried++;
    if (record.sentAtMs !== null) {
      this.firstSentMs = Math.min(this.firstSentMs, record.sentAtMs);
      this.lastEndMs = Math.max(this.lastEndMs, record.endAtMs);
      this.sentAt.push(record.sentAtMs);
      this.endAt.push(record.endAtMs);
    }
    const bounds = this.options.slo ?? {};
    if (metrics.outcome !== 'aborted') {
      this.eligible++;
      if (meetsSlo(metrics, bounds)) this.good++;
    }
    if (metrics.outcome !== 'succeeded') return;
    recordRequest(this.histograms, metrics);
    if (metrics.ttftMs === null) this.withoutContent++;
    this.sources[record.outputTokenSource]++;
    if (record.arrivals.length > 0 && metrics.arrivalTokens !== metrics.outputTokens) this.mismatches++;
    for (const name of missedSlos(metrics, bounds)) this.missed[name] = (this.missed[name] ?? 0) + 1;
    this.succeededEndAt.push(record.endAtMs);
    this.outputTokens.push(record.outputTokens);
    this.promptTokens.push(record.promptTokens ?? 0);
    this.metSlo.push(meetsSlo(metrics, bounds) ? 1 : 0);
  }

  /** The run's metrics over `window` (default: first measured send to last measured end). */
  summarize(given?: TimeWindow): RunMetrics {
    const window =
      given ??
      (Number.isFinite(this.firstSentMs)
        ? { startMs: this.firstSentMs, endMs: this.lastEndMs }
        : { startMs: 0, endMs: 0 });
    const durationS = Math.max(0, (window.endMs - window.startMs) / 1000);
    const perSecond = (count: number) => (durationS > 0 ? count / durationS : null);
    let counted = 0;
    let outputTotal = 0;
    let promptTotal = 0;
    let goodInWindow = 0;
    let goodOutput = 0;
    for (let i = 0; i < this.succeededEndAt.length; i++) {
      const end = this.succeededEndAt.at(i);
      if (end < window.startMs || end > window.endMs) continue;
      counted++;
      outputTotal += this.outputTokens.at(i);
      promptTotal += this.promptTokens.at(i);
      if (this.metSlo.at(i) === 1) {
        goodInWindow++;
        goodOutput += this.outputTokens.at(i);
      }
    }
    const distributions = summarizeHistograms(this.histograms);
    const { slo, sloPercentiles } = this.options;
    const missedBy: Partial<Record<SloName, number>> = {};
    for (const name of SLO_NAMES) if (slo?.[name] !== undefined) missedBy[name] = this.missed[name] ?? 0;
    return {
      schema: RUN_METRICS_SCHEMA,
      window: { ...window, durationS, source: given ? 'given' : 'measured-records' },
      requests: {
        total: this.total,
        ...this.outcomes,
        succeededWithoutContent: this.withoutContent,
        succeededInWindow: counted,
        errorsByKind: { ...this.errorsByKind },
        retried: this.retried,
      },
      throughput: {
        requestsPerS: perSecond(counted),
        outputTokensPerS: perSecond(outputTotal),
        promptTokensPerS: perSecond(promptTotal),
        totalTokensPerS: perSecond(outputTotal + promptTotal),
      },
      tokens: {
        promptTotal,
        outputTotal,
        outputPerRequestMean: counted > 0 ? outputTotal / counted : null,
        outputTokenSource: { ...this.sources },
        arrivalCountMismatches: this.mismatches,
      },
      concurrency: this.inFlight(window),
      ...(distributions as Record<LatencyMetricName, RunMetrics[LatencyMetricName]>),
      slo:
        slo || sloPercentiles?.length
          ? {
              bounds: slo ?? {},
              goodRequests: this.good,
              eligibleRequests: this.eligible,
              goodputRequestsPerS: perSecond(goodInWindow),
              goodputOutputTokensPerS: perSecond(goodOutput),
              attainmentPercent: this.eligible > 0 ? (this.good / this.eligible) * 100 : null,
              missedBy,
              percentiles: judgePercentiles(sloPercentiles ?? [], distributions),
            }
          : null,
      histograms: encodeHistograms(this.histograms),
    };
  }

  /**
   * The same integral and peak as summarizeRun's: intervals clipped to the window, sends and ends
   * sorted apart and merged, an end before a send at the same instant (a slot handed over).
   */
  private inFlight(window: TimeWindow): RunMetrics['concurrency'] {
    const lengthMs = window.endMs - window.startMs;
    const starts: number[] = [];
    const ends: number[] = [];
    let busyMs = 0;
    for (let i = 0; i < this.sentAt.length; i++) {
      const from = Math.max(this.sentAt.at(i), window.startMs);
      const to = Math.min(this.endAt.at(i), window.endMs);
      if (to <= from) continue;
      busyMs += to - from;
      starts.push(from);
      ends.push(to);
    }
    const sortedStarts = Float64Array.from(starts).sort();
    const sortedEnds = Float64Array.from(ends).sort();
    let current = 0;
    let peak = 0;
    let e = 0;
    for (const start of sortedStarts) {
      while (e < sortedEnds.length && sortedEnds[e]! <= start) {
        current--;
        e++;
      }
      current++;
      peak = Math.max(peak, current);
    }
    return { meanInFlight: lengthMs > 0 ? busyMs / lengthMs : null, peakInFlight: peak };
  }
}
