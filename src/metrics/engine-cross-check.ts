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

function comparePairs(pairs: ReadonlyArray<readonly [client: number, engine: number]>): PairedComparison {
  if (pairs.length === 0) {
    return { pairs: 0, clientMean: null, engineMean: null, deltaMean: null, deltaPercent: null, deltaP50: null };
  }
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const clientMean = mean(pairs.map(([c]) => c));
  const engineMean = mean(pairs.map(([, e]) => e));
  const deltas = pairs.map(([c, e]) => c - e).sort((a, b) => a - b);
  const deltaMean = mean(deltas);
  return {
    pairs: pairs.length,
    clientMean,
    engineMean,
    deltaMean,
    deltaPercent: engineMean === 0 ? null : (deltaMean / engineMean) * 100,
    // nearest rank, as every percentile kitt reports
    deltaP50: deltas[Math.ceil(deltas.length / 2) - 1]!,
  };
}

/**
 * Compares what the client measured with what the engine reported (pure). Per-request comparisons
 * use the succeeded records that carry an engine report; counter comparisons use every record given,
 * so pass exactly the records sent between the two counter reads (warmup included if it was).
 * The engine's TTFT is its prefill time and excludes HTTP, its own queue and tokenisation, so a
 * positive TTFT delta is that overhead. llama.cpp's per-token time (pinned build) divides the span
 * after the first token by n − 1, as kitt's TPOT does; Ollama's divides eval time by n.
 */
export function crossCheckEngine(records: readonly RequestRecord[], counters?: EngineCounterDeltas): EngineCrossCheck {
  const reported = records.filter((r) => r.error === null && r.engine !== null);
  const ttftPairs: Array<[number, number]> = [];
  const tpotPairs: Array<[number, number]> = [];
  let output: [number, number] | null = null;
  let prompt: [number, number] | null = null;
  let cached: number | null = null;
  for (const record of reported) {
    const report = record.engine!;
    const metrics = deriveRequestMetrics(record);
    const engineTtft = engineTtftMs(report);
    const engineTpot = engineTpotMs(report);
    if (metrics.ttftMs !== null && engineTtft !== null) ttftPairs.push([metrics.ttftMs, engineTtft]);
    if (metrics.tpotMs !== null && engineTpot !== null) tpotPairs.push([metrics.tpotMs, engineTpot]);
    if (report.completionTokens !== undefined) {
      output = [(output?.[0] ?? 0) + record.outputTokens, (output?.[1] ?? 0) + report.completionTokens];
    }
    if (report.promptTokens !== undefined && record.promptTokens !== null) {
      const enginePrompt = report.promptTokens + (report.cachedTokens ?? 0);
      prompt = [(prompt?.[0] ?? 0) + record.promptTokens, (prompt?.[1] ?? 0) + enginePrompt];
      if (report.cachedTokens !== undefined) cached = (cached ?? 0) + report.cachedTokens;
    }
  }
  const clientPrompt = records.reduce((a, r) => a + (r.promptTokens ?? 0), 0);
  const clientOutput = records.reduce((a, r) => a + r.outputTokens, 0);
  return {
    requestsWithReport: reported.length,
    ttftMs: comparePairs(ttftPairs),
    tpotMs: comparePairs(tpotPairs),
    outputTokens: output ? compareCounts(...output) : null,
    promptTokens: prompt ? compareCounts(...prompt) : null,
    cachedPromptTokens: cached,
    counters: counters
      ? {
          promptTokens:
            counters.promptTokens === undefined
              ? null
              : compareCounts(clientPrompt, counters.promptTokens + (counters.cachedPromptTokens ?? 0)),
          generatedTokens:
            counters.generatedTokens === undefined ? null : compareCounts(clientOutput, counters.generatedTokens),
        }
      : null,
  };
}
