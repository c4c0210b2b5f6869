/**
 * How many full contexts fit a memory limit: the KV cache a context of a given length takes, from
 * the model's shape, and the largest count whose total stays under the limit with a margin. Pure;
 * calibration measures the baseline and verifies the count on the engine (docs/calibrate.md).
 */

/** What the KV cache of a transformer depends on, as a GGUF's metadata says it. */
export interface KvShape {
  readonly layers: number;
  readonly kvHeads: number;
  /** Width of one head's key and value vectors (GGUF `attention.key_length` / `value_length`). */
  readonly keyLength: number;
  readonly valueLength: number;
  /** The context the model was trained for (`<arch>.context_length`), tokens. */
  readonly trainedContext: number | undefined;
}

/** llama.cpp's default cache type is f16 for both K and V (`--cache-type-k/-v f16`). */
export const KV_BYTES_PER_ELEMENT = 2;

/** llama.cpp rounds the cache it allocates up to a multiple of 256 cells. */
export const KV_CELL_PADDING = 256;

/**
 * KV bytes one token of context holds: every layer keeps a key and a value vector per KV head,
 * layers × kvHeads × (keyLength + valueLength) × 2 bytes (f16).
 */
export function kvBytesPerToken(shape: KvShape): number {
  return shape.layers * shape.kvHeads * (shape.keyLength + shape.valueLength) * KV_BYTES_PER_ELEMENT;
}

/** KV bytes of `contexts` contexts of `contextTokens` each: the cells llama.cpp allocates (padded to 256). */
export function kvBytesFor(shape: KvShape, contexts: number, contextTokens: number): number {
  const cells = Math.ceil((contexts * contextTokens) / KV_CELL_PADDING) * KV_CELL_PADDING;
  return cells * kvBytesPerToken(shape);
}

export interface ContextBudget {
  /** The container's memory limit, bytes. */
  readonly limitBytes: number;
  /**
   * What the engine takes besides the KV cache of its contexts: weights, buffers, the process, as
   * measured with one context filled, less that context's KV.
   */
  readonly baselineBytes: number;
  readonly contextTokens: number;
  /** Share of the limit kept free (0.1: the contexts may fill 90 % of it). */
  readonly margin: number;
  /** Never more than this many (probing thousands of tiny contexts proves nothing more). */
  readonly ceiling: number;
  /**
   * Memory each further context took, measured (peak at k filled contexts less peak at one, over
   * k − 1): the KV plus what the engine keeps per slot besides (llama.cpp: a logits row of
   * n_vocab floats, sampling state). The larger of it and the model's KV is used.
   */
  readonly measuredPerContextBytes?: number;
}

export interface ContextEstimate {
  /** The largest count that fits, at least 0, at most the ceiling. */
  readonly contexts: number;
  /** KV of one context from the model's shape. */
  readonly kvBytesPerContext: number;
  /** What one context is counted at: the larger of its KV and the measured per-context memory. */
  readonly perContextBytes: number;
  /** (limit × (1 − margin)) − baseline: what the contexts may fill. */
  readonly budgetBytes: number;
  /** The estimated total at `contexts`: baseline + their KV. */
  readonly totalBytes: number;
  /** True when the ceiling, not the memory, set the count. */
  readonly capped: boolean;
}

/**
 * The largest n with baseline + max(KV(n), n × per-context) ≤ limit × (1 − margin), counting
 * down from the linear solution (padding makes KV(n) a staircase, not a line).
 */
export function estimateMaxContexts(shape: KvShape, budget: ContextBudget): ContextEstimate {
  const kvPerContext = kvBytesPerToken(shape) * budget.contextTokens;
  const perContext = Math.max(kvPerContext, budget.measuredPerContextBytes ?? 0);
  const budgetBytes = budget.limitBytes * (1 - budget.margin) - budget.baselineBytes;
  const used = (n: number) => (n === 0 ? 0 : Math.max(kvBytesFor(shape, n, budget.contextTokens), n * perContext));
  const linear = perContext > 0 ? Math.floor(budgetBytes / perContext) : budget.ceiling;
  let contexts = Math.max(0, Math.min(budget.ceiling, linear));
  while (contexts > 0 && used(contexts) > budgetBytes) contexts -= 1;
  return {
    contexts,
    kvBytesPerContext: kvPerContext,
    perContextBytes: perContext,
    budgetBytes,
    totalBytes: budget.baselineBytes + used(contexts),
    capped: linear > budget.ceiling && contexts === budget.ceiling,
  };
}

/** The count to verify after `contexts` failed: three quarters of it, at least one fewer. */
export function stepDownContexts(contexts: number): number {
  return Math.max(0, Math.min(contexts - 1, Math.floor(contexts * 0.75)));
}
