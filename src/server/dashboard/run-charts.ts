import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatBytes } from '../../core/units.js';
import { AGENTS_SCHEMA } from '../../export/report/agents-charts.js';
import { buildReport } from '../../export/report/build-report.js';
import type { ChartSection } from '../../export/report/chart-spec.js';
import { REQUEST_LOG_FILE } from '../../export/report/report-data.js';
import { readReportData } from '../../export/report/write-report.js';
import type { StoredRun } from '../../store/store-types.js';

/** A run page's charts: report.html's sections, and a one-line note when some or all are missing. */
export interface RunCharts {
  readonly sections: readonly ChartSection[];
  readonly note: string | null;
}

/**
 * Runs whose charts are kept built: a run of a million requests (430 MiB of requests.jsonl) takes
 * about 30 s to read twice, and its charts are about 0.5 MiB of specs.
 */
const KEPT_RUNS = 8;

/** How long a page waits for charts being built before it shows the rest and says to reload. */
const DEFAULT_WAIT_MS = 3000;

async function logOf(path: string): Promise<{ bytes: number; version: string } | null> {
  const found = await stat(path).catch(() => undefined);
  return found?.isFile() ? { bytes: found.size, version: `${found.size}:${found.mtimeMs}` } : null;
}

const building = (bytes: number): RunCharts => ({
  sections: [],
  note: `The charts are being built from ${formatBytes(bytes)} of ${REQUEST_LOG_FILE}: reload the page in a little while.`,
});

/**
 * The charts `kitt report` draws for this run, built the same way: the stored metrics document
 * stands for metrics.json, the rest (requests.jsonl streamed, stats.jsonl, calibration.json) is
 * read from the run's result folder. A folder that cannot be read gives a note, not an error page.
 */
async function buildRunCharts(run: StoredRun, hasRequestLog: boolean): Promise<RunCharts> {
  if (!run.resultPath) return { sections: [], note: 'No charts: this server has no result folder for this run.' };
  let sections: readonly ChartSection[];
  try {
    const overrides = run.metrics ? { 'metrics.json': JSON.stringify(run.metrics) } : {};
    sections = buildReport(await readReportData(run.resultPath, overrides)).sections;
  } catch (error) {
    return { sections: [], note: `No charts: the result folder could not be read (${(error as Error).message}).` };
  }
  // a kitt agents run has steps, not requests: its charts come from steps.jsonl
  const agentsRun = (run.metrics as { schema?: unknown } | undefined)?.schema === AGENTS_SCHEMA;
  if (agentsRun) return { sections, note: sections.length === 0 ? 'No charts: the run recorded no step.' : null };
  if (!hasRequestLog)
    return { sections, note: `No request charts: the result folder has no ${REQUEST_LOG_FILE} (kitt run writes it).` };
  return { sections, note: sections.length === 0 ? `No charts: ${REQUEST_LOG_FILE} holds no sent request.` : null };
}

/**
 * Reads a run's charts, keeping the last few built while the run's log and status stay as they were
 * (a running run's log grows, so its charts are rebuilt on the next visit). Two visits at once
 * share one build; one that would wait longer than `waitMs` gets a note instead and the build
 * goes on for the next visit.
 */
export function createRunChartReader(waitMs = DEFAULT_WAIT_MS): (run: StoredRun) => Promise<RunCharts> {
  // by run id, in the order last used: the first is the one to drop
  const kept = new Map<string, { readonly version: string; readonly charts: Promise<RunCharts> }>();
  return async (run) => {
    const log = run.resultPath ? await logOf(join(run.resultPath, REQUEST_LOG_FILE)) : null;
    const version = JSON.stringify([run.status, run.finishedAt ?? null, run.resultPath ?? null, log?.version]);
    const found = kept.get(run.id);
    const charts = found?.version === version ? found.charts : buildRunCharts(run, log !== null);
    kept.delete(run.id);
    kept.set(run.id, { version, charts });
    while (kept.size > KEPT_RUNS) kept.delete(kept.keys().next().value!);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<RunCharts>((resolve) => {
      timer = setTimeout(() => resolve(building(log?.bytes ?? 0)), waitMs);
    });
    try {
      return await Promise.race([charts, late]);
    } finally {
      clearTimeout(timer);
    }
  };
}
