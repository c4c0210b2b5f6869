/**
 * What one request looked like from the client, on the run's monotonic clock (milliseconds).
 * Every metric kitt reports is a function of these records, and they are exported raw (JSONL)
 * so any peer's definition can be recomputed from them.
 *
 * Timeline points: scheduledAtMs (when the schedule wanted it sent) <= sentAtMs (when the client
 * wrote it) <= headersAtMs <= firstContentAtMs <= lastContentAtMs <= endAtMs (socket closed / body done).
 */
export type RunPhase = 'warmup' | 'measure' | 'cooldown';

export type RequestErrorKind =
  | 'http-status' // the server answered with a non-2xx status
  | 'timeout' // the request exceeded its deadline
  | 'connection' // refused, reset, closed early
  | 'protocol' // the body could not be understood
  | 'response-too-large' // one event, line or body passed kitt's cap; the rest was not read
  | 'aborted' // the run was interrupted
  | 'dropped'; // never sent: no free slot under the in-flight cap and the policy was to drop

export interface RequestError {
  readonly kind: RequestErrorKind;
  readonly message: string;
  readonly status?: number;
}

/** One arrival of output on the socket: when it arrived and how many tokens it carried. */
export interface TokenArrival {
  readonly atMs: number;
  readonly tokens: number;
  /** content = visible answer; reasoning = thinking tokens that some engines stream separately. */
  readonly channel: 'content' | 'reasoning';
}

/** What the engine itself said about the request (llama.cpp `timings`, Ollama durations, ...). */
export interface EngineReport {
  readonly promptTokens?: number;
  readonly completionTokens?: number;
  readonly promptMs?: number;
  /** Engine time spent generating output tokens (llama.cpp predicted_ms, Ollama eval_duration). */
  readonly generationMs?: number;
  readonly ttftMs?: number;
  readonly tpotMs?: number;
  readonly cachedTokens?: number;
  /** Ollama load_duration: time the engine spent loading the model for this request. */
  readonly loadMs?: number;
  /** Ollama total_duration: the engine's own end-to-end time. */
  readonly totalMs?: number;
}

export interface RequestRecord {
  readonly id: number;
  readonly phase: RunPhase;
  /** Worker or stage that produced it (sweep level index, worker id); 0 when there is only one. */
  readonly stage: number;
  readonly scheduledAtMs: number;
  /**
   * Time spent waiting for a free slot under the in-flight cap (overflow 'queue'); 0 when a slot was
   * free. Send lateness = sentAtMs - scheduledAtMs - queuedMs. Absent in records from older runs.
   */
  readonly queuedMs?: number;
  readonly sentAtMs: number | null;
  readonly headersAtMs: number | null;
  readonly firstContentAtMs: number | null;
  readonly firstReasoningAtMs: number | null;
  readonly lastContentAtMs: number | null;
  readonly endAtMs: number;
  readonly promptTokens: number | null;
  /** Output tokens by the best available source (see outputTokenSource). */
  readonly outputTokens: number;
  readonly outputTokenSource: 'usage' | 'chunks' | 'engine';
  /** Output tokens as counted by the client from the stream, kept beside the server's count. */
  readonly clientCountedTokens: number;
  readonly arrivals: readonly TokenArrival[];
  readonly engine: EngineReport | null;
  readonly error: RequestError | null;
  /**
   * Present when the server sent a token count that is not a non-negative integer below 10,000,000
   * (negative, fractional, absurd): what it sent. The request still counts; its outputTokens are
   * the client's count from the stream (outputTokenSource 'chunks') and promptTokens kitt's own.
   */
  readonly invalidUsage?: string;
  /**
   * Times the request was sent again because the server closed a stale keep-alive connection before
   * answering (nothing reached the engine). sentAtMs is the send that was answered, so TTFT and e2e
   * count from it; scheduledAtMs is kept, so the lost time stays in queueMs. Absent = 0.
   */
  readonly retries?: number;
}
