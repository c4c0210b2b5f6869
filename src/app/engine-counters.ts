import type { EngineCounterDeltas } from '../metrics/engine-cross-check.js';

/**
 * Token counters engines expose on /metrics, by engine family: llama.cpp's server (and kitt's
 * embedded server, which uses the same names) and vLLM. The load core hands over every counter's
 * delta by series name; this picks the two the cross-check compares.
 */
const PROMPT_COUNTERS = ['llamacpp:prompt_tokens_total', 'vllm:prompt_tokens_total'];
/** Prompt tokens served from the prompt cache: llama.cpp counts them apart from prompt_tokens_total. */
const CACHED_PROMPT_COUNTERS = ['llamacpp:prompt_tokens_cached_total'];
const GENERATED_COUNTERS = ['llamacpp:tokens_predicted_total', 'vllm:generation_tokens_total'];

function sumSeries(deltas: Readonly<Record<string, number>>, names: readonly string[]): number | undefined {
  let total: number | undefined;
  for (const [series, delta] of Object.entries(deltas)) {
    const name = series.split('{')[0]!;
    if (names.includes(name)) total = (total ?? 0) + delta;
  }
  return total;
}

export function engineCounterDeltas(
  deltas: Readonly<Record<string, number>> | undefined,
): EngineCounterDeltas | undefined {
  if (!deltas) return undefined;
  const promptTokens = sumSeries(deltas, PROMPT_COUNTERS);
  const cachedPromptTokens = sumSeries(deltas, CACHED_PROMPT_COUNTERS);
  const generatedTokens = sumSeries(deltas, GENERATED_COUNTERS);
  if (promptTokens === undefined && generatedTokens === undefined) return undefined;
  return {
    ...(promptTokens !== undefined ? { promptTokens } : {}),
    ...(cachedPromptTokens !== undefined ? { cachedPromptTokens } : {}),
    ...(generatedTokens !== undefined ? { generatedTokens } : {}),
  };
}
