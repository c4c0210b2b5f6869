/**
 * What `kitt results push` sends and `kitt server` accepts: the files kitt run, kitt agents and
 * kitt calibrate write into a run's result folder (export/result-dir.ts, run-benchmark.ts,
 * agents-result.ts, calibrate-container.ts), by plain name. Anything else in the folder stays local.
 */
export const PUSHED_FILE_NAMES = [
  'metrics.json',
  'requests.jsonl',
  'report.html',
  'requests.csv',
  'stages.csv',
  'stats.jsonl',
  'gpu.jsonl',
  'summary.md',
  'run.json',
  'hardware.json',
  'steps.jsonl',
  'calibration.json',
  'calibration.md',
] as const;

export type PushedFileName = (typeof PUSHED_FILE_NAMES)[number];

export const isPushedFileName = (name: string): name is PushedFileName =>
  (PUSHED_FILE_NAMES as readonly string[]).includes(name);

/**
 * The shape of a run id a server accepts as a folder name: kitt's ids (`20261123T121530123Z-3fa9c1`,
 * core/ids.ts) and any other of letters, digits, `-` and `_`; no dot or slash, so no id names a path
 * outside the server's runs folder.
 */
export const PUSHED_RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
