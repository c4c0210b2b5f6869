import type { ToolCall } from './tool-choice.js';

/** Why a think failed; the step still counts, with a seeded tool choice standing in. */
export interface ThinkError {
  readonly kind: 'http-status' | 'timeout' | 'connection' | 'protocol' | 'aborted';
  readonly message: string;
}

/** One think as the client saw it, on the run's monotonic clock (ms). */
export interface ThinkOutcome {
  readonly sentAtMs: number;
  readonly firstTokenAtMs: number | null;
  readonly endAtMs: number;
  /** Engine-counted prompt tokens (`usage.prompt_tokens`); null when the engine sent none. */
  readonly promptTokens: number | null;
  /** Engine-counted output tokens, else the streamed chunks counted. */
  readonly outputTokens: number;
  /** Prompt tokens the engine reused from its cache (`prompt_tokens_details.cached_tokens`, llama.cpp `cache_n`). */
  readonly cachedTokens: number | null;
  readonly text: string;
  readonly toolCalls: readonly { readonly name: string; readonly arguments: string }[];
  readonly error: ThinkError | null;
}

/** What one agent step did: recall → (bucket) → think → act → remember, each timed. */
export interface StepRecord {
  /** 1-based agent number, as the terminal shows it. */
  readonly agent: number;
  /** 0-based step of that agent. */
  readonly step: number;
  readonly startedAtMs: number;
  readonly endedAtMs: number;
  readonly recall: { readonly ms: number; readonly hits: number; readonly bestScore: number | null };
  /** Time the think waited for the token bucket (0 without one). */
  readonly bucketWaitMs: number;
  /** Time the think then waited for a free context slot (0 without a cap, or when one was free). */
  readonly contextWaitMs: number;
  /** Tokens reserved before the think (the estimate) and charged after (the engine's count). */
  readonly bucketTokens: { readonly reserved: number; readonly charged: number } | null;
  readonly think: {
    readonly sentAtMs: number;
    readonly ttftMs: number | null;
    readonly e2eMs: number;
    readonly promptTokens: number | null;
    readonly outputTokens: number;
    readonly cachedTokens: number | null;
    readonly error: ThinkError | null;
    /** The answer's first characters (and any API tool call, spelt out), to see what the parse saw. */
    readonly answer: string;
  };
  /** The tool call the think chose, or stood in for it; null when the step did not act (the mix). */
  readonly act: (ToolCall & { readonly ms: number }) | null;
  readonly remember: { readonly ms: number };
  /** The conversation: estimated prompt tokens sent, turns kept, turns dropped by truncation this step. */
  readonly context: { readonly estimatedTokens: number; readonly turns: number; readonly droppedTurns: number };
}

/** Tokens a think used: prompt + output when the engine counted the prompt, else the estimate's prompt part. */
export function thinkTokens(
  think: Pick<ThinkOutcome, 'promptTokens' | 'outputTokens'>,
  estimatedPrompt: number,
): number {
  return (think.promptTokens ?? estimatedPrompt) + think.outputTokens;
}
