import type { Command } from 'commander';
import { engineRequestFrom } from '../../app/shared/engine-options.js';
import { newRunId } from '../../core/ids.js';
import { catalogModes, ENGINE_NAMES } from '../../engines/catalog.js';
import { describeEngines } from '../../engines/describe-engines.js';
import { assertPreflight, preflight } from '../../engines/preflight.js';
import { pruneEngines } from '../../engines/prune-engines.js';
import { hostArch } from '../../engines/select-image.js';
import { createDockerRuntime } from '../../runtime/docker/docker-runtime.js';
import type { CliContext } from '../cli-context.js';

function table(
  rows: ReadonlyArray<Record<string, string>>,
  columns: ReadonlyArray<[key: string, title: string]>,
): string {
  const widths = columns.map(([key, title]) => Math.max(title.length, ...rows.map((r) => (r[key] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [
    line(columns.map(([, t]) => t.toUpperCase())),
    ...rows.map((r) => line(columns.map(([k]) => r[k] ?? ''))),
  ].join('\n');
}

/** `kitt engines list | check ENGINE | prune`. */
export function registerEnginesCommand(program: Command, context: CliContext): void {
  const engines = program
    .command('engines')
    .description('list the engines, check one before running it, remove leftover containers');

  engines
    .command('list')
    .description('engines with their port, API, model formats, image for this host and modes')
    .action(() => {
      const rows = describeEngines({ arch: hostArch() }).map((r) => ({ ...r }));
      const columns: Array<[string, string]> = [
        ['engine', 'engine'],
        ['port', 'port'],
        ['api', 'api'],
        ['formats', 'formats'],
        ['image', 'image'],
        ['modes', 'modes'],
      ];
      context.stdout.write(`${table(rows, columns)}\n`);
    });

  engines
    .command('check')
    .description('run the preflight checks for an engine without starting it')
    .argument('<engine>', ENGINE_NAMES.join(', '))
    .option('-m, --model <path>', 'model to check against the engine (default: MODEL_PATH, else skipped)')
    .option('--mode <mode>', catalogModes().join(', '))
    .option('--port <port>', 'port the engine would listen on')
    .option('--gpus <gpus>', "'all' or GPU indices such as 0,2")
    .option('--image <image>', 'image to use instead of the catalog choice')
    .option('--pull', 'pull a missing image')
    .action(
      async (
        engine: string,
        flags: { model?: string; mode?: string; port?: string; gpus?: string; image?: string; pull?: boolean },
      ) => {
        const request = engineRequestFrom(
          { ...flags, engine },
          { runId: newRunId(), env: context.env, defaultEngine: engine },
        );
        const runtime = createDockerRuntime({ env: context.env });
        const checks = await preflight(request, {
          runtime,
          ...(request.mode === 'docker' ? { daemon: runtime } : {}),
          host: { arch: hostArch() },
          pull: flags.pull ?? false,
          env: context.env,
        });
        if (checks.length === 0) {
          context.stdout.write(
            `ok   ${request.engine}: no Docker, executable or port to check (pass -m to check a model)\n`,
          );
        }
        for (const check of checks) {
          context.stdout.write(
            `${check.ok ? 'ok  ' : 'FAIL'} ${check.name.padEnd(10)} ${check.detail}${check.hint ? ` (${check.hint})` : ''}\n`,
          );
        }
        assertPreflight(checks);
      },
    );

  engines
    .command('prune')
    .description('remove kitt containers that stopped or whose kitt process is gone (never anyone else’s)')
    .option('--all', 'also remove kitt containers of runs still in progress')
    .action(async (flags: { all?: boolean }) => {
      const { removed, kept } = await pruneEngines(createDockerRuntime({ env: context.env }), {
        all: flags.all ?? false,
      });
      for (const container of removed)
        context.stdout.write(`removed ${container.name} (${container.labels['kitt.engine'] ?? '?'})\n`);
      context.stdout.write(`removed ${removed.length} kitt container(s)`);
      context.stdout.write(kept.length > 0 ? `; kept ${kept.length} of runs in progress (--all removes them)\n` : '\n');
    });
}
