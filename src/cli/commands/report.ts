import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { openRunStore } from '../../app/shared/open-run-store.js';
import { showRun } from '../../app/shared/run-listing.js';
import { loadConfig } from '../../config/load-config.js';
import { KittError } from '../../core/errors.js';
import { writeReport } from '../../export/report/write-report.js';
import { defaultStorePath } from '../../store/open-store.js';
import type { CliContext } from '../cli-context.js';

const isDirectory = (path: string) => statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;

/** The result directory RUN names: the directory itself, or the stored run's result path. */
async function resultDirOf(run: string, context: CliContext, configPath: string | undefined): Promise<string> {
  if (isDirectory(run)) return resolve(run);
  const { config, home } = loadConfig({ env: context.env, explicitPath: configPath });
  await using store = await openRunStore(config.store.url ?? defaultStorePath(home));
  const stored = await showRun(store, run);
  if (!stored.resultPath || !isDirectory(stored.resultPath)) {
    throw new KittError(
      'USAGE',
      `run ${run} has no result directory on this machine (${stored.resultPath ?? 'none recorded'})`,
      {
        hint: 'give the result directory itself: kitt report PATH',
      },
    );
  }
  return stored.resultPath;
}

/** `kitt report RUN`: rebuilds report.html from a stored run's result directory. */
export function registerReportCommand(program: Command, context: CliContext): void {
  program
    .command('report')
    .description('write report.html (charts of a run, offline) into a run’s result directory')
    .argument('<run>', 'run id (from kitt results list) or a result directory')
    .option('--config <path>', 'read this config file (for store.url)')
    .action(async (run: string, options: { config?: string }) => {
      const path = await writeReport(await resultDirOf(run, context, options.config));
      context.stdout.write(`${path}\n`);
    });
}
