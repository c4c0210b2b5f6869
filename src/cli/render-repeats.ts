import { type RepeatsOutcome, renderRepeatsTable, repeatsDocument, repeatsNote } from '../app/run/run-repeats.js';

/** Names the figures whose interval was clipped at zero, so a reader does not take 0 for a bound the data gave. */
export function clippedNote(series: Pick<RepeatsOutcome, 'metrics'>): string {
  const clipped = Object.values(series.metrics).filter((s) => s.interval?.clipped);
  if (clipped.length === 0) return '';
  const names = clipped.map((s) => `${s.label} (${s.unit})`).join(', ');
  return `The interval of ${names} reached below zero and is clipped at 0: too few repeats for that spread.\n`;
}

/** The terminal's view of a series: the statistics across its repeats and where the series files are. */
export function renderRepeatsOutcome(series: RepeatsOutcome): string {
  return `\nacross repeats:\n${renderRepeatsTable(series)}\n\n${repeatsNote(series)}\n${clippedNote(series)}series files: ${series.dir}\n`;
}

/** The --json view of a series: repeats.json's document with every run's own outcome. */
export function repeatsOutcomeJson(series: RepeatsOutcome): string {
  const runs = series.runs.map(({ interruption, ...run }) => ({ ...run, interrupted: interruption !== undefined }));
  return `${JSON.stringify({ ...(repeatsDocument(series) as object), outcomes: runs }, null, 2)}\n`;
}
