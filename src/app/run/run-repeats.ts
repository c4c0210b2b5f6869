import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newRunId } from '../../core/ids.js';
import { ensureWritableDir } from '../../core/kitt-home.js';
import {
  REPEAT_CONFIDENCE,
  REPEATS_SCHEMA,
  type RepeatStatistic,
  summarizeRepeats,
} from '../../metrics/summarize-repeats.js';
import { type RunContext, type RunOutcome, type RunRequest, runBenchmark } from './run-benchmark.js';
import type { ClosableRunPorts } from './run-ports.js';

/** Where a run stands in its series; recorded in its config document (run.json and the store). */
export interface RepeatMark {
  readonly group: string;
  /** 1-based. */
  readonly index: number;
  readonly of: number;
}

/** A series of repeats: every run that finished, and the statistics over those that completed. */
export interface RepeatsOutcome {
  readonly group: string;
  readonly of: number;
  /** The series folder, holding repeats.json and repeats.md. */
  readonly dir: string;
  readonly runs: readonly RunOutcome[];
  /** Over the runs that succeeded; an interrupted run is stored but left out. */
  readonly metrics: Record<string, RepeatStatistic>;
  /** Why the series stopped early, when it did (the interruption, or the error of a failed repeat). */
  readonly stoppedBy?: unknown;
}

/**
 * Runs the same benchmark `count` times, each a full run (own id, result directory and store row,
 * its engine started and stopped, its ports opened and closed: a live-metrics port is bound by one
 * run at a time), then writes the series' statistics. Without `resultDir` the
 * series folder is `<home>/results/<group id>/`; with it, `resultDir` is the series folder and
 * repeat i is written to `resultDir/<i>/`. An interrupt or a failure stops the series: what
 * finished before it stays, the series files cover it, and the caller gets `stoppedBy` to rethrow.
 */
export async function runRepeats(
  request: RunRequest,
  count: number,
  openPorts: () => Promise<ClosableRunPorts>,
  context: RunContext,
  onRun?: (outcome: RunOutcome, mark: RepeatMark) => void,
): Promise<RepeatsOutcome> {
  const group = newRunId();
  const dir = ensureWritableDir(request.resultDir ?? join(request.home, 'results', group));
  const runs: RunOutcome[] = [];
  let stoppedBy: unknown;
  for (let index = 1; index <= count && !context.signal.aborted; index++) {
    const mark: RepeatMark = { group, index, of: count };
    context.progress.info(`repeat ${index}/${count} of series ${group}`);
    let ports: ClosableRunPorts | undefined;
    try {
      ports = await openPorts();
      const outcome = await runBenchmark(
        {
          ...request,
          engine: { ...request.engine, runId: index === 1 && request.engine.runId ? request.engine.runId : newRunId() },
          ...(request.resultDir ? { resultDir: join(dir, String(index)) } : {}),
          config: { ...(isRecord(request.config) ? request.config : {}), repeat: mark },
        },
        ports,
        context,
      );
      runs.push(outcome);
      onRun?.(outcome, mark);
      if (outcome.status === 'interrupted') {
        stoppedBy = outcome.interruption;
        break;
      }
    } catch (error) {
      stoppedBy = error;
      break;
    } finally {
      await ports?.close();
    }
  }
  const outcome: RepeatsOutcome = {
    group,
    of: count,
    dir,
    runs,
    metrics: summarizeRepeats(runs.filter((run) => run.status === 'succeeded').map((run) => run.metrics)),
    ...(stoppedBy !== undefined ? { stoppedBy } : {}),
  };
  writeFileSync(join(dir, 'repeats.json'), `${JSON.stringify(repeatsDocument(outcome), null, 2)}\n`);
  writeFileSync(join(dir, 'repeats.md'), renderRepeatsMarkdown(outcome));
  return outcome;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** repeats.json: the series, its runs and, per metric, the values and their statistics. */
export function repeatsDocument(outcome: RepeatsOutcome): unknown {
  return {
    schema: REPEATS_SCHEMA,
    group: outcome.group,
    of: outcome.of,
    confidence: REPEAT_CONFIDENCE,
    runs: outcome.runs.map((run) => ({ runId: run.runId, status: run.status, resultDir: run.resultDir })),
    ...(outcome.stoppedBy !== undefined ? { stoppedBy: messageOf(outcome.stoppedBy) } : {}),
    metrics: outcome.metrics,
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const fixed = (value: number | null, digits = 2) => (value === null ? '–' : value.toFixed(digits));

/** The statistics table, one row per metric: mean, sd, CV and the 95 % interval of the mean. */
export function renderRepeatsTable(outcome: RepeatsOutcome): string {
  const rows = Object.values(outcome.metrics).map((s) => [
    `${s.label} (${s.unit})`,
    String(s.n),
    fixed(s.mean),
    fixed(s.sd),
    s.cv === null ? '–' : `${(s.cv * 100).toFixed(1)} %`,
    s.interval ? `${fixed(s.interval.low)} … ${fixed(s.interval.high)}` : '–',
  ]);
  const header = ['metric', 'n', 'mean', 'sd', 'CV', '95 % CI of mean'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** The sentence under the table: how many repeats count, and why an interval may be missing. */
export function repeatsNote(outcome: RepeatsOutcome): string {
  const completed = outcome.runs.filter((run) => run.status === 'succeeded').length;
  const parts = [`${completed} of ${outcome.of} repeats completed (series ${outcome.group})`];
  if (completed < 2) parts.push('a single run has no spread: no interval');
  else parts.push(`Student-t interval with ${completed - 1} degree${completed === 2 ? '' : 's'} of freedom`);
  return `${parts.join('; ')}.`;
}

/** Names the figures whose interval was clipped at zero, so a reader does not take 0 for a bound the data gave. */
export function clippedNote(series: Pick<RepeatsOutcome, 'metrics'>): string {
  const clipped = Object.values(series.metrics).filter((s) => s.interval?.clipped);
  if (clipped.length === 0) return '';
  const names = clipped.map((s) => `${s.label} (${s.unit})`).join(', ');
  return `The interval of ${names} reached below zero and is clipped at 0: too few repeats for that spread.\n`;
}

export function renderRepeatsMarkdown(outcome: RepeatsOutcome): string {
  const rows = Object.values(outcome.metrics).map(
    (s) =>
      `| ${s.label} (${s.unit}) | ${s.n} | ${fixed(s.mean)} | ${fixed(s.sd)} | ${s.cv === null ? '–' : `${(s.cv * 100).toFixed(1)} %`} | ${s.interval ? `${fixed(s.interval.low)} … ${fixed(s.interval.high)}` : '–'} |`,
  );
  const runs = outcome.runs.map((run, i) => `${i + 1}. ${run.runId} (${run.status}): ${run.resultDir}`);
  return [
    `# Repeats ${outcome.group}`,
    '',
    '| metric | n | mean | sd | CV | 95 % CI of mean |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    repeatsNote(outcome),
    ...(clippedNote(outcome) ? ['', clippedNote(outcome).trimEnd()] : []),
    '',
    '## Runs',
    '',
    ...runs,
    '',
  ].join('\n');
}
