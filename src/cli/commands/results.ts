import type { Command } from 'commander';
import { openRunStore } from '../../app/shared/open-run-store.js';
import { listRuns, showRun } from '../../app/shared/run-listing.js';
import { loadConfig } from '../../config/load-config.js';
import { KittError } from '../../core/errors.js';
import { defaultStorePath } from '../../store/open-store.js';
import type { Store, StoredRun } from '../../store/store-types.js';
import type { CliContext } from '../cli-context.js';

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

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function durationOf(run: StoredRun): string {
  if (!run.finishedAt) return '-';
  const seconds = (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000;
  return `${seconds.toFixed(1)}s`;
}

/** `kitt results list|show`: the runs recorded in the store (SQLite under kitt's home, or PostgreSQL). */
export function registerResultsCommand(program: Command, context: CliContext): void {
  const results = program.command('results').description('list and show recorded runs from the results store');

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
      const rows = runs.map((run) => [
        run.id,
        run.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
        run.status,
        durationOf(run),
        run.engine,
        run.mode,
        run.model,
      ]);
      context.stdout.write(`${table([['ID', 'STARTED', 'STATUS', 'TOOK', 'ENGINE', 'MODE', 'MODEL'], ...rows])}\n`);
    });

  results
    .command('show')
    .description('show one run: config, hardware, limits, metrics and where its results are')
    .argument('<id>', 'run id (from kitt results list)')
    .option('--config <path>', 'read this config file (for store.url)')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { config?: string; json?: boolean }) => {
      await using store = await openConfiguredStore(context, options.config);
      const run = await showRun(store, id);
      if (options.json) {
        context.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
        return;
      }
      const scalar = (value: unknown) => (value === undefined ? '-' : String(value));
      const lines = [
        ['id', run.id],
        ['status', run.status],
        ['started', run.startedAt],
        ['finished', scalar(run.finishedAt)],
        ['engine', `${run.engine} (${run.mode})`],
        ['model', run.model],
        ['model sha256', scalar(run.modelSha256)],
        ['model size', run.modelSizeBytes === undefined ? '-' : `${run.modelSizeBytes} bytes`],
        ['hardware', scalar(run.hardwareFingerprint)],
        ['results', scalar(run.resultPath)],
        ['error', scalar(run.error)],
      ];
      context.stdout.write(`${lines.map(([key, value]) => `${key!.padEnd(13)} ${value}`).join('\n')}\n`);
      for (const [key, value] of [
        ['limits', run.limits],
        ['metrics', run.metrics],
        ['config', run.config],
        ['hardware details', run.hardware],
      ] as const) {
        if (value !== undefined && value !== null) {
          context.stdout.write(`\n${key}:\n${JSON.stringify(value, null, 2)}\n`);
        }
      }
    });
}
