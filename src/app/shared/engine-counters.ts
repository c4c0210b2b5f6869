import { isEngineName } from '../../engines/catalog.js';
import { engineMetricsOf } from '../../engines/engine-target.js';
import type { EngineCounterDeltas } from '../../metrics/engine-cross-check.js';

function sumSeries(deltas: Readonly<Record<string, number>>, names: readonly string[]): number | undefined {
  let total: number | undefined;
  for (const [series, delta] of Object.entries(deltas)) {
    const name = series.split('{')[0]!;
    if (names.includes(name)) total = (total ?? 0) + delta;
  }
  return total;
}

/**
 * The token counters the cross-check compares, out of every counter delta the load core read
 * from the engine's /metrics; the engine's definition names its series.
 */
export function engineCounterDeltas(
  engineName: string,
  deltas: Readonly<Record<string, number>> | undefined,
): EngineCounterDeltas | undefined {
  // a server kitt could not recognise (--target) is measured, but there are no counters to check
  if (!deltas || !isEngineName(engineName)) return undefined;
  const names = engineMetricsOf({ name: engineName });
  const promptTokens = sumSeries(deltas, names.promptTokens);
  const cachedPromptTokens = sumSeries(deltas, names.cachedPromptTokens ?? []);
  const generatedTokens = sumSeries(deltas, names.generatedTokens);
  if (promptTokens === undefined && generatedTokens === undefined) return undefined;
  return {
    ...(promptTokens !== undefined ? { promptTokens } : {}),
    ...(cachedPromptTokens !== undefined ? { cachedPromptTokens } : {}),
    ...(generatedTokens !== undefined ? { generatedTokens } : {}),
  };
}
