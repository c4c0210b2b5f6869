import type { RequestRecord, TokenArrival } from './request-record.js';

/**
 * One requests.jsonl line: the RequestRecord's own field names, every time in milliseconds since
 * the run's origin (rounded to 1 µs), and each arrival as a compact `[atMs, tokens, channel]` tuple
 * with channel "c" (content) or "r" (reasoning). Nothing is dropped, so any peer's definition of a
 * metric can be recomputed from the file.
 */
export type SerializedArrival = [atMs: number, tokens: number, channel: 'c' | 'r'];

const round = (ms: number) => Math.round(ms * 1000) / 1000;
const relative = (ms: number | null, originMs: number) => (ms === null ? null : round(ms - originMs));

/** The record as one JSON line (no trailing newline), times relative to `originMs` (the run start). */
export function serializeRecord(record: RequestRecord, originMs = 0): string {
  return JSON.stringify({
    id: record.id,
    phase: record.phase,
    stage: record.stage,
    scheduledAtMs: round(record.scheduledAtMs - originMs),
    queuedMs: record.queuedMs === undefined ? undefined : round(record.queuedMs),
    sentAtMs: relative(record.sentAtMs, originMs),
    headersAtMs: relative(record.headersAtMs, originMs),
    firstContentAtMs: relative(record.firstContentAtMs, originMs),
    firstReasoningAtMs: relative(record.firstReasoningAtMs, originMs),
    lastContentAtMs: relative(record.lastContentAtMs, originMs),
    endAtMs: round(record.endAtMs - originMs),
    promptTokens: record.promptTokens,
    outputTokens: record.outputTokens,
    outputTokenSource: record.outputTokenSource,
    clientCountedTokens: record.clientCountedTokens,
    arrivals: record.arrivals.map(
      (a): SerializedArrival => [round(a.atMs - originMs), a.tokens, a.channel === 'content' ? 'c' : 'r'],
    ),
    engine: record.engine,
    error: record.error,
    retries: record.retries,
  });
}

/** Reads a requests.jsonl line back into a RequestRecord (times stay relative to the run's origin). */
export function parseRecordLine(line: string): RequestRecord {
  const raw = JSON.parse(line) as Omit<RequestRecord, 'arrivals'> & { arrivals: SerializedArrival[] };
  const arrivals: TokenArrival[] = raw.arrivals.map(([atMs, tokens, channel]) => ({
    atMs,
    tokens,
    channel: channel === 'c' ? 'content' : 'reasoning',
  }));
  return { ...raw, arrivals };
}
