import { stat } from 'node:fs/promises';
import { join } from 'node:path';
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

/** Runs whose charts are kept built: a page of a million requests reads its log twice, seconds of work. */
const KEPT_RUNS = 8;

async function fileVersion(path: string): Promise<string | null> {
  const found = await stat(path).catch(() => undefined);
  return found?.isFile() ? `${found.size}:${found.mtimeMs}` : null;
}

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
  if (!hasRequestLog)
    return { sections, note: `No request charts: the result folder has no ${REQUEST_LOG_FILE} (kitt run writes it).` };
  return { sections, note: sections.length === 0 ? `No charts: ${REQUEST_LOG_FILE} holds no sent request.` : null };
}

/**
 * Reads a run's charts, keeping the last few built while the run's log and status stay as they were
 * (a running run's log grows, so its charts are rebuilt on the next visit). Two visits at once
 * share one build.
 */
export function createRunChartReader(): (run: StoredRun) => Promise<RunCharts> {
  // by run id, in the order last used: the first is the one to drop
  const kept = new Map<string, { readonly version: string; readonly charts: Promise<RunCharts> }>();
  return async (run) => {
    const log = run.resultPath ? await fileVersion(join(run.resultPath, REQUEST_LOG_FILE)) : null;
    const version = JSON.stringify([run.status, run.finishedAt ?? null, run.resultPath ?? null, log]);
    const found = kept.get(run.id);
    const charts = found?.version === version ? found.charts : buildRunCharts(run, log !== null);
    kept.delete(run.id);
    kept.set(run.id, { version, charts });
    while (kept.size > KEPT_RUNS) kept.delete(kept.keys().next().value!);
    return charts;
  };
}
