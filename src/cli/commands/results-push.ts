import type { Command } from 'commander';
import type { PushTarget } from '../../app/push/push-http.js';
import { type PushedRun, pushRun } from '../../app/push/push-run.js';
import { DEFAULT_TOKEN_ENV, pushTargetFrom } from '../../app/push/push-target.js';
import { openRunStore } from '../../app/shared/open-run-store.js';
import type { LoadedConfig } from '../../config/load-config.js';
import { describeError, KittError } from '../../core/errors.js';
import { formatBytes } from '../../core/units.js';
import { defaultStorePath } from '../../store/open-store.js';
import type { Store } from '../../store/store-types.js';
import type { CliContext } from '../cli-context.js';

const OUTCOME_WORDS: Record<PushedRun['outcome'], string> = {
  created: 'created',
  replaced: 'already there',
  kept: 'already there, in a later state',
};

/** The line a pushed run gets: `pushed <id> → <url> (created), 5 files, 1.2 MiB sent`. */
export function describePushed(pushed: PushedRun): string {
  const files = `${pushed.files} file${pushed.files === 1 ? '' : 's'}`;
  return `pushed ${pushed.id} → ${pushed.url} (${OUTCOME_WORDS[pushed.outcome]}), ${files}, ${formatBytes(pushed.bytesSent)} sent`;
}

/** The command that pushes a run later, as a warning names it. */
export function pushCommandFor(id: string, target: PushTarget): string {
  const tokenEnv = target.tokenEnv === DEFAULT_TOKEN_ENV ? '' : ` --token-env ${target.tokenEnv}`;
  return `kitt results push ${id} --server ${target.server}${tokenEnv}`;
}

/**
 * After `kitt run --upload`: pushes the recorded runs, and when one cannot be pushed says so in one
 * line with the command that pushes it later. Never throws: the run's own outcome decides the exit.
 */
export async function uploadRecordedRuns(
  ids: readonly string[],
  target: PushTarget,
  loaded: LoadedConfig,
  context: CliContext,
): Promise<void> {
  let store: Store;
  try {
    store = await openRunStore(loaded.config.store.url ?? defaultStorePath(loaded.home));
  } catch (error) {
    context.progress.warn(`the run is kept locally, not pushed: ${describeError(error)}`);
    return;
  }
  try {
    for (const id of ids) {
      if (!(await store.getRun(id).catch(() => undefined))) continue; // it never reached the store
      try {
        context.progress.info(describePushed(await pushRun(store, id, target, { onRetry: context.progress.info })));
      } catch (error) {
        context.progress.warn(
          `run ${id} is kept locally, not pushed (${describeError(error)}); push it later: ${pushCommandFor(id, target)}`,
        );
      }
    }
  } finally {
    await store.close();
  }
}

/** `kitt results push RUN… --server URL`: each run in turn; a failed one does not stop the others. */
export function registerResultsPush(
  results: Command,
  context: CliContext,
  openStore: (configPath: string | undefined) => Promise<Store>,
): void {
  results
    .command('push')
    .description('push recorded runs to a kitt server (its row and result files); safe to repeat')
    .argument('<run...>', 'run ids or unique prefixes of them (from kitt results list)')
    .requiredOption('--server <url>', 'the kitt server, e.g. http://kitt.example.com:8080')
    .option('--token-env <var>', 'the environment variable holding a token with the write scope', DEFAULT_TOKEN_ENV)
    .option('--config <path>', 'read this config file (for store.url)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
The token is read from the environment, never from a flag: create one on the server with
kitt server token create --name lab-a --scope write, and export it here. Files over 64 KiB travel
gzip-compressed; connection errors and 5xx answers are retried with backoff (about 8 s in all).

Examples:
  export KITT_SERVER_TOKEN=kitt_…
  kitt results push 20261123T121530123Z-3fa9c1 --server http://kitt.example.com:8080
  kitt results push 20261123 20261124 --server https://kitt.example.com --token-env LAB_TOKEN`,
    )
    .action(async (refs: string[], options: { server: string; tokenEnv: string; config?: string; json?: boolean }) => {
      const target = pushTargetFrom(options.server, context.env, options.tokenEnv);
      await using store = await openStore(options.config);
      const answers: Array<Record<string, unknown>> = [];
      const failures: unknown[] = [];
      for (const ref of refs) {
        try {
          const pushed = await pushRun(store, ref, target, { onRetry: context.progress.info });
          answers.push({ ...pushed });
          if (!options.json) context.stdout.write(`${describePushed(pushed)}\n`);
        } catch (error) {
          failures.push(error);
          const hint = error instanceof KittError ? (error.hint ?? null) : null;
          answers.push({ run: ref, error: error instanceof Error ? error.message : String(error), hint });
          if (!options.json && refs.length > 1) context.stderr.write(`error: ${ref}: ${describeError(error)}\n`);
        }
      }
      if (options.json) context.stdout.write(`${JSON.stringify(answers, null, 2)}\n`);
      if (failures.length === 0) return;
      if (refs.length === 1) throw failures[0];
      throw new KittError('EXPORT_FAILED', `${failures.length} of ${refs.length} runs were not pushed`, {
        hint: 'the lines above say why; pushing them again is safe',
      });
    });
}
