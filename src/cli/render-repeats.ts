import {
  clippedNote,
  type RepeatsOutcome,
  renderRepeatsTable,
  repeatsDocument,
  repeatsNote,
} from '../app/run/run-repeats.js';

/** The terminal's view of a series: the statistics across its repeats and where the series files are. */
export function renderRepeatsOutcome(series: RepeatsOutcome): string {
  return `\nacross repeats:\n${renderRepeatsTable(series)}\n\n${repeatsNote(series)}\n${clippedNote(series)}series files: ${series.dir}\n`;
}

/** The --json view of a series: repeats.json's document with every run's own outcome. */
export function repeatsOutcomeJson(series: RepeatsOutcome): string {
  const runs = series.runs.map(({ interruption, ...run }) => ({ ...run, interrupted: interruption !== undefined }));
  return `${JSON.stringify({ ...(repeatsDocument(series) as object), outcomes: runs }, null, 2)}\n`;
}
