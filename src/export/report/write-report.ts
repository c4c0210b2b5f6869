import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { KittError } from '../../core/errors.js';
import { readRequestLogLines } from '../request-log-reader.js';
import { AGENTS_SCHEMA } from './agents-charts.js';
import { buildReport } from './build-report.js';
import { renderReportHtml } from './render-report-html.js';
import {
  parseResultFiles,
  REPORT_INPUT_FILES,
  REQUEST_LOG_FILE,
  type ReportData,
  type ResultFiles,
} from './report-data.js';
import { collectRequestLog, collectRequests, type RequestColumns } from './request-columns.js';
import { loadChartLibrary } from './uplot-assets.js';

/** The report's file name inside a result directory. */
export const REPORT_FILE = 'report.html';

async function readResultFiles(dir: string): Promise<ResultFiles> {
  const entries = await Promise.all(
    REPORT_INPUT_FILES.map(async (name) => {
      try {
        return [name, await readFile(join(dir, name), 'utf8')] as const;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [name, undefined] as const;
        throw error;
      }
    }),
  );
  return Object.fromEntries(entries);
}

/** The request log's columns, read as a stream: a run of millions of requests is never one string. */
async function collectRequestColumns(dir: string): Promise<RequestColumns> {
  const path = join(dir, REQUEST_LOG_FILE);
  try {
    await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return collectRequests([]);
    throw error;
  }
  return collectRequestLog(() => readRequestLogLines(path));
}

/**
 * A metrics.json of a kind the report does not know has nothing its charts draw: say so instead of
 * failing inside them. `kitt agents` runs (`kitt.agents-metrics.v1`, steps instead of requests)
 * have their own section (agents-charts.ts).
 */
function assertRequestMetrics(dir: string, text: string | undefined): void {
  if (text === undefined) return;
  let document: { schema?: unknown; metrics?: unknown };
  try {
    document = JSON.parse(text) as typeof document;
  } catch {
    return;
  }
  if (typeof document.schema === 'string' && document.metrics === undefined && document.schema !== AGENTS_SCHEMA) {
    throw new KittError('USAGE', `${dir} holds a ${document.schema} document, not a run's request metrics`, {
      hint: 'kitt report draws runs of kitt run and kitt agents, and calibrations; read summary.md in that directory',
    });
  }
}

/**
 * What a report is drawn from, read from a result directory (a run's metrics.json and JSONL files,
 * or a calibration's calibration.json), requests.jsonl streamed. `overrides` stand in for files of
 * the directory: the server passes the stored run's metrics document as metrics.json.
 */
export async function readReportData(dir: string, overrides: ResultFiles = {}): Promise<ReportData> {
  const files = { ...(await readResultFiles(dir)), ...overrides };
  if (files['metrics.json'] === undefined && files['calibration.json'] === undefined) {
    throw new KittError('USAGE', `${dir} holds no metrics.json or calibration.json, so there is nothing to report`, {
      hint: 'give a run id from kitt results list, or the result directory of a run',
    });
  }
  assertRequestMetrics(dir, files['metrics.json']);
  const requests = await collectRequestColumns(dir);
  return parseResultFiles(files, basename(dir), requests);
}

/**
 * Builds report.html from what a result directory holds and writes it beside them, renamed into
 * place when complete. Everything it draws is read back from the files, so a stored run's report
 * can be rebuilt any time.
 */
export async function writeReport(dir: string): Promise<string> {
  const html = renderReportHtml(buildReport(await readReportData(dir)), loadChartLibrary());
  const path = join(dir, REPORT_FILE);
  const tmp = join(dir, `.${REPORT_FILE}.${process.pid}.tmp`);
  try {
    await writeFile(tmp, html);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw new KittError('EXPORT_FAILED', `could not write ${path}: ${(error as Error).message}`, {
      hint: 'check that the results folder is writable and the disk has space',
      cause: error,
    });
  }
  return path;
}
