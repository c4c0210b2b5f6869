import type { RequestErrorKind, RequestRecord, RunPhase } from './request-record.js';

/** How a request ended, for counting: dropped (never sent) and aborted (run interrupted) are not failures. */
export type RequestOutcome = 'succeeded' | 'failed' | 'dropped' | 'aborted';

/**
 * A run of equal per-token intervals: a chunk that carried `tokens` tokens after a gap of G ms
 * contributes `tokens` intervals of G / tokens ms each.
 */
export interface TokenIntervals {
  readonly intervalMs: number;
  readonly tokens: number;
}

/**
 * The per-request metrics kitt reports, each derived from one RequestRecord by the formula in its
 * comment. Times are milliseconds on the run's monotonic clock; null when the record lacks the
 * points the formula needs (a dropped request has no send, a request without output no TTFT).
 */
export interface RequestMetrics {
  readonly id: number;
  readonly phase: RunPhase;
  readonly stage: number;
  readonly outcome: RequestOutcome;
  readonly errorKind: RequestErrorKind | null;
  /** TTFT = firstContentAtMs − sentAtMs: to the first non-empty content token (role-only chunks never count). */
  readonly ttftMs: number | null;
  /** TTFR = firstReasoningAtMs − sentAtMs: to the first reasoning token; null for non-reasoning output. */
  readonly ttfrMs: number | null;
  /** TTFT from schedule = firstContentAtMs − scheduledAtMs: what a user who arrived on schedule waited. */
  readonly ttftFromScheduleMs: number | null;
  /** Time to headers = headersAtMs − sentAtMs. */
  readonly timeToHeadersMs: number | null;
  /** Queue time = sentAtMs − scheduledAtMs: every delay before the send (slot wait plus send lateness). */
  readonly queueMs: number | null;
  /** Slot wait = record.queuedMs: the part of queueMs spent waiting for a free slot under the in-flight cap. */
  readonly slotWaitMs: number | null;
  /** Send lateness = queueMs − slotWaitMs: how late the client itself sent (pacing error); null without slotWaitMs. */
  readonly sendLatenessMs: number | null;
  /** E2E = endAtMs − sentAtMs. */
  readonly e2eMs: number | null;
  /** E2E from schedule = endAtMs − scheduledAtMs: the latency free of coordinated omission. */
  readonly e2eFromScheduleMs: number;
  /**
   * TPOT = (lastOutputAtMs − firstOutputAtMs) / (n − 1), n = outputTokens, first/last output =
   * earliest/latest output token of any channel (for non-reasoning output: firstContentAtMs and
   * lastContentAtMs). It is the mean gap between consecutive output tokens, so it equals the
   * token-weighted mean of the per-token ITL when the chunks' token counts add up to n. Null for n ≤ 1.
   */
  readonly tpotMs: number | null;
  /**
   * vLLM's TPOT formula (E2E − TTFT) / (N − 1) on kitt's timestamps: (endAtMs − firstOutputAtMs) / (n − 1).
   * It exceeds tpotMs by (endAtMs − lastOutputAtMs) / (n − 1): the trailing usage chunk, [DONE] and
   * stream close. (vLLM itself also starts from a role-only chunk when the server sends one first.)
   */
  readonly tpotVllmMs: number | null;
  /** Per-token inter-token latency (see perTokenIntervals). */
  readonly itl: readonly TokenIntervals[];
  /** The largest per-token interval; null when fewer than two tokens arrived. */
  readonly itlMaxMs: number | null;
  /** Per-chunk gaps: atMs[i] − atMs[i − 1] between consecutive arrivals that carried tokens (vLLM's "ITL"). */
  readonly chunkGapsMs: readonly number[];
  readonly outputTokens: number;
  readonly promptTokens: number | null;
  /** Tokens the arrivals account for (Σ arrival.tokens); differs from outputTokens when chunk counts are estimates. */
  readonly arrivalTokens: number;
}

export function outcomeOf(record: RequestRecord): RequestOutcome {
  const kind = record.error?.kind;
  if (kind === undefined) return 'succeeded';
  if (kind === 'dropped' || kind === 'aborted') return kind;
  return 'failed';
}

const diff = (later: number | null | undefined, earlier: number | null | undefined): number | null =>
  later === null || later === undefined || earlier === null || earlier === undefined ? null : later - earlier;

const earliest = (...values: Array<number | null>): number | null => {
  const present = values.filter((v): v is number => v !== null);
  return present.length === 0 ? null : Math.min(...present);
};

/**
 * Per-token inter-token latency. Arrivals carrying no tokens are skipped. An arrival that carries
 * k tokens after a gap G since the previous token-carrying arrival contributes k intervals of G / k
 * (the tokens are taken as evenly spaced over the gap). The first arrival's extra k − 1 tokens
 * arrived together with the first token and contribute k − 1 intervals of 0. So the intervals of a
 * request sum to (last arrival − first arrival) over Σk − 1 tokens: their mean is the TPOT.
 */
export function perTokenIntervals(record: RequestRecord): TokenIntervals[] {
  const intervals: TokenIntervals[] = [];
  let previousAtMs: number | null = null;
  for (const arrival of record.arrivals) {
    if (arrival.tokens <= 0) continue;
    if (previousAtMs === null) {
      if (arrival.tokens > 1) intervals.push({ intervalMs: 0, tokens: arrival.tokens - 1 });
    } else {
      intervals.push({ intervalMs: (arrival.atMs - previousAtMs) / arrival.tokens, tokens: arrival.tokens });
    }
    previousAtMs = arrival.atMs;
  }
  return intervals;
}

/** Gaps between consecutive token-carrying arrivals, one per chunk whatever it carried. */
export function chunkGaps(record: RequestRecord): number[] {
  const gaps: number[] = [];
  let previousAtMs: number | null = null;
  for (const arrival of record.arrivals) {
    if (arrival.tokens <= 0) continue;
    if (previousAtMs !== null) gaps.push(arrival.atMs - previousAtMs);
    previousAtMs = arrival.atMs;
  }
  return gaps;
}

/**
 * The output timeline points. With streamed arrivals they come from the arrivals that carried
 * tokens (an arrival with 0 tokens, such as a role-only chunk, never counts even if the client
 * stamped firstContentAtMs on it); without arrivals (non-streaming) from the record's own fields.
 */
function outputPoints(record: RequestRecord): {
  firstContentAtMs: number | null;
  firstReasoningAtMs: number | null;
  lastOutputAtMs: number | null;
} {
  if (record.arrivals.length === 0) {
    return {
      firstContentAtMs: record.firstContentAtMs,
      firstReasoningAtMs: record.firstReasoningAtMs,
      lastOutputAtMs: record.lastContentAtMs,
    };
  }
  const carrying = record.arrivals.filter((a) => a.tokens > 0);
  const first = (channel: string) => carrying.find((a) => a.channel === channel)?.atMs ?? null;
  return {
    firstContentAtMs: first('content'),
    firstReasoningAtMs: first('reasoning'),
    lastOutputAtMs: carrying.reduce<number | null>(
      (latest, a) => (latest === null || a.atMs > latest ? a.atMs : latest),
      null,
    ),
  };
}

/** Derives every per-request metric of one record (pure). */
export function deriveRequestMetrics(record: RequestRecord): RequestMetrics {
  const { firstContentAtMs, firstReasoningAtMs, lastOutputAtMs } = outputPoints(record);
  const firstOutputAtMs = earliest(firstContentAtMs, firstReasoningAtMs);
  const n = record.outputTokens;
  const decodeMs = diff(lastOutputAtMs, firstOutputAtMs);
  const queueMs = diff(record.sentAtMs, record.scheduledAtMs);
  const slotWaitMs = record.sentAtMs === null ? null : (record.queuedMs ?? null);
  const itl = perTokenIntervals(record);
  return {
    id: record.id,
    phase: record.phase,
    stage: record.stage,
    outcome: outcomeOf(record),
    errorKind: record.error?.kind ?? null,
    ttftMs: diff(firstContentAtMs, record.sentAtMs),
    ttfrMs: diff(firstReasoningAtMs, record.sentAtMs),
    ttftFromScheduleMs: diff(firstContentAtMs, record.scheduledAtMs),
    timeToHeadersMs: diff(record.headersAtMs, record.sentAtMs),
    queueMs,
    slotWaitMs,
    sendLatenessMs: queueMs === null || slotWaitMs === null ? null : queueMs - slotWaitMs,
    e2eMs: diff(record.endAtMs, record.sentAtMs),
    e2eFromScheduleMs: record.endAtMs - record.scheduledAtMs,
    tpotMs: n > 1 && decodeMs !== null ? decodeMs / (n - 1) : null,
    tpotVllmMs: n > 1 && firstOutputAtMs !== null ? (record.endAtMs - firstOutputAtMs) / (n - 1) : null,
    itl,
    itlMaxMs: itl.reduce<number | null>((max, i) => (max === null || i.intervalMs > max ? i.intervalMs : max), null),
    chunkGapsMs: chunkGaps(record),
    outputTokens: n,
    promptTokens: record.promptTokens,
    arrivalTokens: record.arrivals.reduce((sum, a) => sum + Math.max(0, a.tokens), 0),
  };
}
