import { FloatColumn } from './float-column.js';
import { deriveRequestMetrics } from './request-metrics.js';
import type { EngineReport, RequestRecord } from './request-record.js';

/** Engine counters read before and after the load (e.g. llama.cpp /metrics), as after − before. */
export interface EngineCounterDeltas {
  /** Prompt tokens the engine computed (llama.cpp's prompt_tokens_total excludes cached ones). */
  readonly promptTokens?: number;
  /** Prompt tokens served from the engine's prompt cache (llama.cpp prompt_tokens_cached_total). */
  readonly cachedPromptTokens?: number;
  readonly generatedTokens?: number;
}

/** client − engine for one quantity: delta = client − engine, deltaPercent = delta / engine × 100. */
export interface CountComparison {
  readonly client: number;
  readonly engine: number;
  readonly delta: number;
  readonly deltaPercent: number | null;
}

/** Per-request pairs of a client and an engine figure, compared through their means. */
export interface PairedComparison {
  /** Requests that have both figures. */
  readonly pairs: number;
  readonly clientMean: number | null;
  readonly engineMean: number | null;
  /** mean(client − engine) over the pairs. */
  readonly deltaMean: number | null;
  /** deltaMean / engineMean × 100. */
  readonly deltaPercent: number | null;
  /** The median of the per-request deltas (robust to one slow request). */
  readonly deltaP50: number | null;
}

export interface EngineCrossCheck {
  /** Succeeded requests that carried an engine report. */
  readonly requestsWithReport: number;
  /** Client TTFT vs the engine's (engine.ttftMs, else promptMs + loadMs: prefill as the engine timed it). */
  readonly ttftMs: PairedComparison;
  /** Client TPOT vs the engine's per-token generation time (engine.tpotMs, else generationMs / completionTokens). */
  readonly tpotMs: PairedComparison;
  /** Σ client outputTokens vs Σ engine completionTokens over the requests whose report has a count. */
  readonly outputTokens: CountComparison | null;
  /**
   * Σ client promptTokens vs Σ engine prompt tokens (computed + cached) over the requests where both
   * are known. Usage `prompt_tokens` counts the whole prompt; llama.cpp's `timings.prompt_n` only
   * the part it computed, `cache_n` the rest, so the engine side adds them.
   */
  readonly promptTokens: CountComparison | null;
  /** Σ engine cached prompt tokens (per-request reports), the part of promptTokens prefill skipped; null when unreported. */
  readonly cachedPromptTokens: number | null;
  /** Client sums over every record given vs the engine counter deltas (prompt: computed + cached). */
  readonly counters: {
    readonly promptTokens: CountComparison | null;
    readonly generatedTokens: CountComparison | null;
  } | null;
}

/** The engine's TTFT for one request: its own figure, else its prefill (prompt + load) time. */
export function engineTtftMs(report: EngineReport): number | null {
  if (report.ttftMs !== undefined) return report.ttftMs;
  if (report.promptMs === undefined) return null;
  return report.promptMs + (report.loadMs ?? 0);
}

/** The engine's time per output token for one request: its own figure, else generation time / tokens. */
export function engineTpotMs(report: EngineReport): number | null {
  if (report.tpotMs !== undefined) return report.tpotMs;
  if (report.generationMs === undefined || !report.completionTokens) return null;
  return report.generationMs / report.completionTokens;
}

function compareCounts(client: number, engine: number): CountComparison {
  const delta = client - engine;
  return { client, engine, delta, deltaPercent: engine === 0 ? null : (delta / engine) * 100 };
}

/**
 * Client and engine figures of one quantity, paired per request: running sums for the means and
 * every delta (8 bytes a request) for the exact median.
 */
class PairedFigures {
  private clientSum = 0;
  private engineSum = 0;
  private readonly deltas = new FloatColumn();

  add(client: number, engine: number): void {
    this.clientSum += client;
    this.engineSum += engine;
    this.deltas.push(client - engine);
  }

  compare(): PairedComparison {
    const pairs = this.deltas.length;
    if (pairs === 0) {
      return { pairs: 0, clientMean: null, engineMean: null, deltaMean: null, deltaPercent: null, deltaP50: null };
    }
    const deltas = this.deltas.sorted();
    let deltaSum = 0;
    for (const delta of deltas) deltaSum += delta;
    const engineMean = this.engineSum / pairs;
    const deltaMean = deltaSum / pairs;
    return {
      pairs,
      clientMean: this.clientSum / pairs,
      engineMean,
      deltaMean,
      deltaPercent: engineMean === 0 ? null : (deltaMean / engineMean) * 100,
      // nearest rank, as every percentile kitt reports
      deltaP50: deltas[Math.ceil(pairs / 2) - 1]!,
    };
  }
}

/**
 * crossCheckEngine fed one record at a time, so a long run needs no array of its records: token
 * sums and per-request pairs as records complete. Feed it exactly the records sent between the
 * two counter reads (warmup included if it was).
 */
export class CrossCheckAccumulator {
  private reported = 0;
  private readonly ttft = new PairedFigures();
  private readonly tpot = new PairedFigures();
  private output: [number, number] | null = null;
  private prompt: [number, number] | null = null;
  private cached: number | null = null;
  private clientPrompt = 0;
  private clientOutput = 0;

  add(record: RequestRecord): void {
    this.clientPrompt += record.promptTokens ?? 0;
    this.clientOutput += record.outputTokens;
    if (record.error !== null || record.engine === null) return;
    this.reported++;
    const report = record.engine;
    const metrics = deriveRequestMetrics(record);
    const engineTtft = engineTtftMs(report);
    const engineTpot = engineTpotMs(report);
    if (metrics.ttftMs !== null && engineTtft !== null) this.ttft.add(metrics.ttftMs, engineTtft);
    if (metrics.tpotMs !== null && engineTpot !== null) this.tpot.add(metrics.tpotMs, engineTpot);
    if (report.completionTokens !== undefined) {
      this.output = [(this.output?.[0] ?? 0) + record.outputTokens, (this.output?.[1] ?? 0) + report.completionTokens];
    }
    if (report.promptTokens !== undefined && record.promptTokens !== null) {
      const enginePrompt = report.promptTokens + (report.cachedTokens ?? 0);
      this.prompt = [(this.prompt?.[0] ?? 0) + record.promptTokens, (this.prompt?.[1] ?? 0) + enginePrompt];
      if (report.cachedTokens !== undefined) this.cached = (this.cached ?? 0) + report.cachedTokens;
    }
  }

  /** The cross-check of the records so far against the engine's counter deltas, when it has them. */
  result(counters?: EngineCounterDeltas): EngineCrossCheck {
    return {
      requestsWithReport: this.reported,
      ttftMs: this.ttft.compare(),
      tpotMs: this.tpot.compare(),
      outputTokens: this.output ? compareCounts(...this.output) : null,
      promptTokens: this.prompt ? compareCounts(...this.prompt) : null,
      cachedPromptTokens: this.cached,
      counters: counters
        ? {
            promptTokens:
              counters.promptTokens === undefined
                ? null
                : compareCounts(this.clientPrompt, counters.promptTokens + (counters.cachedPromptTokens ?? 0)),
            generatedTokens:
              counters.generatedTokens === undefined
                ? null
                : compareCounts(this.clientOutput, counters.generatedTokens),
          }
        : null,
    };
  }
}

/**
 * Compares what the client measured with what the engine reported (pure). Per-request comparisons
 * use the succeeded records that carry an engine report; counter comparisons use every record given,
 * so pass exactly the records sent between the two counter reads (warmup included if it was).
 * The engine's TTFT is its prefill time and excludes HTTP, its own queue and tokenisation, so a
 * positive TTFT delta is that overhead. llama.cpp's per-token time (pinned build) divides the span
 * after the first token by n − 1, as kitt's TPOT does; Ollama's divides eval time by n.
 */
export function crossCheckEngine(records: Iterable<RequestRecord>, counters?: EngineCounterDeltas): EngineCrossCheck {
  const accumulator = new CrossCheckAccumulator();
  for (const record of records) accumulator.add(record);
  return accumulator.result(counters);
}
