import type { RunOutcome } from '../app/run/run-benchmark.js';
import { KittError } from '../core/errors.js';
import { renderSummaryTable } from '../metrics/render-summary.js';

/** The terminal's view of a finished run: the summary table and where its records are. */
export function renderRunOutcome(outcome: RunOutcome): string {
  const { identity } = outcome;
  const measured = outcome.metrics.requests.total;
  const heading =
    outcome.status === 'interrupted'
      ? `partial results: ${measured} requests measured before the run was interrupted\n\n`
      : outcome.status === 'engine-failed'
        ? `partial results: ${measured} requests measured before the engine ended\n\n`
        : '';
  return `${heading}${renderSummaryTable(outcome.metrics, outcome.stages)}\n\nrun ${outcome.runId} (${identity.engine}, ${identity.mode}, ${identity.model}): ${outcome.resultDir}\n`;
}

/** The --json view: the outcome's data as it is. */
export function runOutcomeJson(outcome: RunOutcome): string {
  const { interruption, failure, ...data } = outcome;
  return `${JSON.stringify(
    {
      ...data,
      interrupted: interruption !== undefined,
      ...(failure ? { error: { code: failure.code, message: failure.message, hint: failure.hint } } : {}),
    },
    null,
    2,
  )}\n`;
}

/**
 * The error a run leaves with after its summary was shown: the engine's end or the unwritable
 * folder (their own exit codes), or the signal's (130 or 143) with where the saved part is.
 */
export function runOutcomeError(outcome: RunOutcome): KittError | undefined {
  if (outcome.failure) return outcome.failure;
  const { interruption } = outcome;
  if (!interruption) return undefined;
  return new KittError(interruption.code, `run ${outcome.runId} was ${interruption.message}`, {
    hint: `what it measured is in ${outcome.resultDir}`,
  });
}
