import type { RunOutcome } from '../app/run/run-benchmark.js';
import { KittError } from '../core/errors.js';
import { renderSummaryTable } from '../metrics/render-summary.js';

/** The terminal's view of a finished run: the summary table and where its records are. */
export function renderRunOutcome(outcome: RunOutcome): string {
  const { identity } = outcome;
  const heading =
    outcome.status === 'interrupted'
      ? `partial results: ${outcome.metrics.requests.total} requests measured before the run was interrupted\n\n`
      : '';
  return `${heading}${renderSummaryTable(outcome.metrics, outcome.stages)}\n\nrun ${outcome.runId} (${identity.engine}, ${identity.mode}, ${identity.model}): ${outcome.resultDir}\n`;
}

/** The --json view: the outcome's data as it is. */
export function runOutcomeJson(outcome: RunOutcome): string {
  const { interruption, ...data } = outcome;
  return `${JSON.stringify({ ...data, interrupted: interruption !== undefined }, null, 2)}\n`;
}

/**
 * An interrupted run leaves with the signal's exit code (130 or 143) after its partial summary:
 * the error says where the saved part is.
 */
export function interruptedRunError(outcome: RunOutcome): KittError | undefined {
  const { interruption } = outcome;
  if (!interruption) return undefined;
  return new KittError(interruption.code, `run ${outcome.runId} was ${interruption.message}`, {
    hint: `what it measured is in ${outcome.resultDir}`,
  });
}
