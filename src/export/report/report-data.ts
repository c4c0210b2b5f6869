import type { EngineCrossCheck } from '../../metrics/engine-cross-check.js';
import { parseRecordLine } from '../../metrics/serialize-record.js';
import type { RunMetrics } from '../../metrics/summarize-run.js';
import { type AgentStepRow, type AgentsData, type AgentsDocument, isAgentsDocument } from './agents-charts.js';
import { collectRequests, type RequestColumns } from './request-columns.js';

/** One stats.jsonl row: a container (or process) reading, `tMs` since the run's start. */
export interface StatsRowData {
  readonly tMs: number;
  readonly cpuPercentOfLimit: number;
  readonly throttledPeriods: number;
  readonly throttledTimeMs: number;
  readonly memoryBytes: number;
  readonly memoryLimitBytes: number;
}

/** One gpu.jsonl row, `atMs` since the run's start. */
export interface GpuRowData {
  readonly atMs: number;
  readonly index: number;
  readonly powerW: number | null;
  readonly utilizationPercent: number | null;
}

/** The part of calibration.json the report draws: one row per window the controller tried. */
export interface CalibrationData {
  readonly rateKey: string;
  readonly outcome: string;
  readonly rate?: number;
  readonly windows: ReadonlyArray<{
    readonly index: number;
    readonly kind: string;
    readonly rate: number;
    readonly verdict: string;
    readonly measurement: { readonly achievedRate: number; readonly cpuPercentOfLimit?: number };
  }>;
}

/** Everything a report is drawn from: a result directory's files, parsed, nothing computed yet. */
export interface ReportData {
  readonly title: string;
  /** metrics.json as written (the run document: metrics, crossCheck, load, limits, warnings). */
  readonly document: Record<string, unknown> | null;
  readonly metrics: RunMetrics | null;
  readonly crossCheck: EngineCrossCheck | null;
  /** What the charts draw of requests.jsonl (times relative to the run's start), collected in bounded state. */
  readonly requests: RequestColumns;
  readonly stats: readonly StatsRowData[];
  readonly gpu: readonly GpuRowData[];
  /** run.json: engine request, load spec, effective config, kitt version. */
  readonly run: Record<string, unknown> | null;
  readonly hardware: Record<string, unknown> | null;
  readonly calibration: CalibrationData | null;
  /** A `kitt agents` run: its document and steps.jsonl; null for other runs. */
  readonly agents: AgentsData | null;
}

/** The result directory's text files by name; a missing file is undefined. */
export type ResultFiles = Readonly<Record<string, string | undefined>>;

/** The request log: read as a stream (collectRequestLog), never whole, as it grows with the run. */
export const REQUEST_LOG_FILE = 'requests.jsonl';

/** The small files a report reads whole, so the shell reads exactly these and the request log. */
export const REPORT_INPUT_FILES = [
  'metrics.json',
  'stats.jsonl',
  'gpu.jsonl',
  'run.json',
  'hardware.json',
  'calibration.json',
  'steps.jsonl',
] as const;

const jsonLines = <T>(text: string | undefined, parse: (line: string) => T = (line) => JSON.parse(line) as T): T[] =>
  (text ?? '')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(parse);

const jsonObject = (text: string | undefined): Record<string, unknown> | null =>
  text === undefined ? null : (JSON.parse(text) as Record<string, unknown>);

/**
 * Parses a result directory's files (pure: text in, data out). `requests` is what collectRequestLog
 * gathered from the request log as it streamed by; without it, a requests.jsonl among `files` (a
 * small one: a test's) is parsed here.
 */
export function parseResultFiles(files: ResultFiles, fallbackTitle: string, requests?: RequestColumns): ReportData {
  const document = jsonObject(files['metrics.json']);
  // a run document embeds the metrics; an older or foreign metrics.json may be the metrics themselves
  const agents = isAgentsDocument(document)
    ? { document: document as unknown as AgentsDocument, steps: jsonLines<AgentStepRow>(files['steps.jsonl']) }
    : null;
  const metrics = (agents ? null : (document?.metrics ?? (document?.schema ? document : null))) as RunMetrics | null;
  const calibration = jsonObject(files['calibration.json']) as CalibrationData | null;
  const runId = (document?.runId as string | undefined) ?? (calibration as { runId?: string } | null)?.runId;
  return {
    title: runId ? `kitt ${agents ? 'agents' : 'run'} ${runId}` : fallbackTitle,
    agents,
    document,
    metrics,
    crossCheck: (document?.crossCheck as EngineCrossCheck | undefined) ?? null,
    requests: requests ?? collectRequests(jsonLines(files[REQUEST_LOG_FILE], parseRecordLine)),
    stats: jsonLines<StatsRowData>(files['stats.jsonl']),
    gpu: jsonLines<GpuRowData>(files['gpu.jsonl']),
    run: jsonObject(files['run.json']),
    hardware: jsonObject(files['hardware.json']),
    calibration,
  };
}
