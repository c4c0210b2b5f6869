import type { LoadResult } from '../../load/run-load.js';
import type { StageInput } from '../../metrics/summarize-stages.js';

/**
 * The stages of a finished load as summarizeStages reads them: each stage's kind, what it offered
 * (a rate or a concurrency; null for ramps, whose level moves) and its measured window.
 */
export function stageInputs(load: Pick<LoadResult, 'plan' | 'stages'>): StageInput[] {
  return load.stages.map((result): StageInput => {
    const spec = load.plan.stages.find((s) => s.stage === result.stage)?.spec;
    const kind = spec?.kind ?? load.plan.kind;
    const offered =
      spec === undefined
        ? (result.level ?? null)
        : spec.kind === 'constant-rate' || spec.kind === 'poisson'
          ? spec.rate
          : spec.kind === 'fixed-concurrency'
            ? spec.concurrency
            : spec.kind === 'synchronous'
              ? 1
              : null;
    const unit = kind === 'constant-rate' || kind === 'poisson' || kind === 'ramp-rate' ? 'req/s' : 'concurrency';
    return { stage: result.stage, kind, unit, offered, window: result.window };
  });
}
