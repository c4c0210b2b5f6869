import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { openRunStore } from '../../app/shared/open-run-store.js';
import { listRuns, resolveRunId, showRun, toRunListing } from '../../app/shared/run-listing.js';
import { loadConfig } from '../../config/load-config.js';
import { KittError } from '../../core/errors.js';
import { writeRunCsv } from '../../export/run-csv.js';
import { renderSummaryTable } from '../../metrics/render-summary.js';
import { parseRecordLine } from '../../metrics/serialize-record.js';
import { RUN_METRICS_SCHEMA, type RunMetrics } from '../../metrics/summarize-run.js';
import { type StagesSummary, summarizeStages } from '../../metrics/summarize-stages.js';
import { defaultStorePath } from '../../store/open-store.js';
import type { Store, StoredRun } from '../../store/store-types.js';
import type { CliContext } from '../cli-context.js';
import { plainTable as table } from '../plain-table.js';
import { registerResultsPush } from './results-push.js';

async function openConfiguredStore(context: CliContext, configPath: string | undefined): Promise<Store> {
  const { config, home } = loadConfig({ env: context.env, explicitPath: configPath });
  return openRunStore(config.store.url ?? defaultStorePath(home));
}

function positiveInt(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) {
    throw new KittError('USAGE', `--limit ${value} is not a whole number of at least 1`, { hint: 'e.g. --limit 20' });
  }
  return number;
}

function durationOf(run: StoredRun): string {
  if (!run.finishedAt) return '-';
  const seconds = (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000;
  return `${seconds.toFixed(1)}s`;
}

/** `kitt results list|show|export|push`: the runs recorded in the store (SQLite under kitt's home, or PostgreSQL). */
export function registerResultsCommand(program: Command, context: CliContext): void {
  const results = program
    .command('results')
    .description('list, show, export and push recorded runs from the results store');

  results
    .command('list')
    .description('list recorded runs, newest first')
    .option('--limit <n>', 'how many runs', positiveInt, 20)
    .option('-e, --engine <name>', 'only runs of this engine')
    .option('--config <path>', 'read this config file (for store.url)')
    .option('--json', 'print JSON')
    .action(async (options: { limit: number; engine?: string; config?: string; json?: boolean }) => {
      await using store = await openConfiguredStore(context, options.config);
      const runs = await listRuns(store, {
        limit: options.limit,
        ...(options.engine ? { engine: options.engine } : {}),
      });
      if (options.json) {
        context.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
        return;
      }
      if (runs.length === 0) {
        context.stdout.write(`no runs recorded in ${store.location} yet (kitt run records one)\n`);
        return;
      }
      const rows = runs.map((run) => {
        const listing = toRunListing(run);
        return [
          run.id,
          run.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
          run.status,
          durationOf(run),
          run.engine,
          run.mode,
          run.model,
          listing.loadKind ?? '-',
          listing.levels ?? '-',
          figure(listing.requestsPerS),
          figure(listing.ttftP50Ms),
          figure(listing.ttftP99Ms),
          listing.failureReason ?? '',
        ];
      });
      const header = ['ID', 'STARTED', 'STATUS', 'TOOK', 'ENGINE', 'MODE', 'MODEL', 'LOAD', 'LEVELS', 'REQ/S'];
      header.push('TTFT P50 MS', 'TTFT P99 MS', 'FAILURE');
      context.stdout.write(`${table([header, ...rows])}\n`);
    });

  results
    .command('show')
    .description('show one run: config, hardware, limits, metrics and where its results are')
    .argument('<id>', 'run id or a unique prefix of one (from kitt results list)')
    .option('--config <path>', 'read this config file (for store.url)')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { config?: string; json?: boolean }) => {
      await using store = await openConfiguredStore(context, options.config);
      const run = await showRun(store, id);
      if (options.json) {
        context.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
        return;
      }
      context.stdout.write(renderStoredRun(run));
    });

  results
    .command('export')
    .description('write a recorded run as requests.csv and stages.csv')
    .argument('<id>', 'run id or a unique prefix of one')
    .requiredOption('--csv', 'write CSV (the one format so far)')
    .option('--out <dir>', 'folder to write into', '.')
    .option('--config <path>', 'read this config file (for store.url)')
    .action(async (id: string, options: { out: string; config?: string }) => {
      await using store = await openConfiguredStore(context, options.config);
      const run = await store.getRun(await resolveRunId(store, id));
      const dir = run?.resultPath;
      const jsonl = dir === undefined ? '' : join(dir, 'requests.jsonl');
      if (!run || dir === undefined || !existsSync(jsonl)) {
        throw new KittError('USAGE', `run ${id} has no requests.jsonl${dir ? ` in ${dir}` : ''}`, {
          hint: "export needs the run's result folder; kitt results show says where it was",
        });
      }
      const records = readFileSync(jsonl, 'utf8').split('\n').filter(Boolean).map(parseRecordLine);
      const stored = (run.metrics as { stages?: StagesSummary } | undefined)?.stages;
      // runs recorded before stage rows: one row per stage seen in the records, offered unknown
      const stages =
        stored?.stages ??
        summarizeStages(
          records,
          [...new Set(records.map((r) => r.stage))].map((stage) => ({
            stage,
            kind: 'unknown',
            unit: 'req/s' as const,
            offered: null,
            window: null,
          })),
        ).stages;
      const files = await writeRunCsv(resolve(options.out), { records, stages });
      context.stdout.write(`${files.join('\n')}\n`);
    });
  registerResultsPush(results, context, (configPath) => openConfiguredStore(context, configPath));
}

const figure = (value: number | null) =>
  value === null ? '-' : value.toLocaleString('en-US', { maximumFractionDigits: value < 100 ? 2 : 1 });

/**
 * `results show`: the run's facts, its summary rendered from the stored metrics (as the run printed
 * it), and where its result folder and report are. --json keeps the whole stored document.
 */
function renderStoredRun(run: StoredRun): string {
  const scalar = (value: unknown) => (value === undefined || value === null ? '-' : String(value));
  const listing = toRunListing(run);
  const report = run.resultPath
    ? ['report.html', 'summary.md'].map((f) => join(run.resultPath!, f)).find((p) => existsSync(p))
    : undefined;
  const lines = [
    ['id', run.id],
    ['status', run.status],
    ['started', run.startedAt],
    ['finished', scalar(run.finishedAt)],
    ['engine', `${run.engine} (${run.mode})`],
    ['model', run.model],
    ['model sha256', scalar(run.modelSha256)],
    ['model size', run.modelSizeBytes === undefined ? '-' : `${run.modelSizeBytes} bytes`],
    ['load', listing.loadKind ? `${listing.loadKind} ${listing.levels ?? ''}`.trim() : '-'],
    ['hardware', scalar(run.hardwareFingerprint)],
    ['limits', run.limits === undefined || run.limits === null ? '-' : JSON.stringify(run.limits)],
    ['results', scalar(run.resultPath)],
    ['report', scalar(report)],
    ['failure', scalar(listing.failureReason)],
  ];
  const head = `${lines.map(([key, value]) => `${key!.padEnd(13)} ${value}`).join('\n')}\n`;
  const document = run.metrics as { metrics?: RunMetrics; stages?: StagesSummary; schema?: unknown } | undefined;
  if (typeof document?.schema === 'string' && document.metrics === undefined) {
    // another kind of run (kitt agents: kitt.agents-metrics.v1) keeps its own summary beside its results
    const headline = listing.headline ? `${listing.headline}\n` : '';
    return `${head}\n${headline}a ${document.schema} document: its summary is ${scalar(report)}; kitt results show ${run.id} --json has all of it\n`;
  }
  if (document?.metrics?.schema !== RUN_METRICS_SCHEMA) {
    return `${head}\nno summary stored (the run did not finish measuring); kitt results show ${run.id} --json has all that was recorded\n`;
  }
  return `${head}\n${renderSummaryTable(document.metrics, document.stages)}`;
}
