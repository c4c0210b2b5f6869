import type { RequestRecord, TokenArrival } from '../metrics/request-record.js';

/**
 * Builds a consistent RequestRecord for tests: a streamed request sent at `sentAtMs` whose content
 * arrives at the given times with the given token counts (1 each by default), ending `tailMs` after
 * the last arrival. Any field can be overridden afterwards.
 */
export function streamedRecord(options: {
  id?: number;
  phase?: RequestRecord['phase'];
  scheduledAtMs?: number;
  sentAtMs: number;
  arrivalsAtMs: readonly number[];
  tokens?: readonly number[];
  tailMs?: number;
  promptTokens?: number;
  overrides?: Partial<RequestRecord>;
}): RequestRecord {
  const arrivals: TokenArrival[] = options.arrivalsAtMs.map((atMs, i) => ({
    atMs,
    tokens: options.tokens?.[i] ?? 1,
    channel: 'content',
  }));
  const tokens = arrivals.reduce((a, x) => a + x.tokens, 0);
  const last = arrivals.at(-1)?.atMs ?? null;
  return {
    id: options.id ?? 0,
    phase: options.phase ?? 'measure',
    stage: 0,
    scheduledAtMs: options.scheduledAtMs ?? options.sentAtMs,
    sentAtMs: options.sentAtMs,
    headersAtMs: options.sentAtMs,
    firstContentAtMs: arrivals[0]?.atMs ?? null,
    firstReasoningAtMs: null,
    lastContentAtMs: last,
    endAtMs: (last ?? options.sentAtMs) + (options.tailMs ?? 0),
    promptTokens: options.promptTokens ?? 10,
    outputTokens: tokens,
    outputTokenSource: 'usage',
    clientCountedTokens: tokens,
    arrivals,
    engine: null,
    error: null,
    ...options.overrides,
  };
}

/** A request that failed (or was dropped) at `atMs` without output. */
export function failedRecord(
  kind: NonNullable<RequestRecord['error']>['kind'],
  options: { id?: number; scheduledAtMs: number; sentAtMs: number | null; endAtMs: number },
): RequestRecord {
  return {
    id: options.id ?? 0,
    phase: 'measure',
    stage: 0,
    scheduledAtMs: options.scheduledAtMs,
    sentAtMs: options.sentAtMs,
    headersAtMs: null,
    firstContentAtMs: null,
    firstReasoningAtMs: null,
    lastContentAtMs: null,
    endAtMs: options.endAtMs,
    promptTokens: null,
    outputTokens: 0,
    outputTokenSource: 'chunks',
    clientCountedTokens: 0,
    arrivals: [],
    engine: null,
    error: { kind, message: kind },
  };
}
