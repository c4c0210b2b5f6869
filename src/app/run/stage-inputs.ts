import type { LoadResult } from '../../load/run-load.js';
import type { StageInput } from '../../metrics/summarize-stages.js';

/**
 * The stages of a finished load as summarizeStages reads them: each stage's kind, what it offered
 * (a rate or a concurrency; for ramps, whose level moves, the ramp, which becomes slices) and
 * its measured window.
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
    const ramp =
      spec?.kind === 'ramp-rate' || spec?.kind === 'ramp-concurrency'
        ? { ramp: { from: spec.from, to: spec.to, durationS: spec.durationS } }
        : {};
    return { stage: result.stage, kind, unit, offered, window: result.window, ...ramp };
  });
}
