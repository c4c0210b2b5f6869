import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { createLocalCellRunner } from '../../app/campaign/local-cell-runner.js';
import { DEFAULT_TOKEN_ENV, pushTargetFrom } from '../../app/push/push-target.js';
import { openRunStore } from '../../app/shared/open-run-store.js';
import { loadConfig } from '../../config/load-config.js';
import { silentProgress } from '../../core/progress.js';
import { defaultStorePath } from '../../store/open-store.js';
import type { CliContext } from '../cli-context.js';
import { readPackageVersion } from '../version.js';
import { describeAgentHost } from './agent-capabilities.js';
import { runAgentLoop } from './agent-loop.js';
import { FleetClient } from './fleet-client.js';
import { PendingResults } from './pending-results.js';

interface RunFlags {
  server: string;
  tokenEnv: string;
  home?: string;
  config?: string;
  once?: boolean;
  pollWait: string;
}

/** `kitt-agent run --server URL`: this host takes campaign cells from a kitt server until SIGTERM. */
export function registerRunCommand(program: Command, context: CliContext): void {
  program
    .command('run')
    .description("take campaign cells from a kitt server's fleet and run each as kitt run would")
    .requiredOption('--server <url>', "kitt server's address, e.g. http://kitt.example.com:8080")
    .option('--token-env <var>', 'the variable holding a token with the write scope', DEFAULT_TOKEN_ENV)
    .option('--home <dir>', "the agent's kitt home: its store, results and pending reports (default: KITT_HOME)")
    .option('--config <path>', 'config file (default: KITT_HOME/config.yaml)')
    .option('--once', 'take one job, report it, and exit')
    .option('--poll-wait <seconds>', 'how long one ask for a job waits on the server', '20')
    .addHelpText(
      'after',
      `
The agent registers this host (fingerprint, GPUs, architecture, Docker, free disk, engines) and
takes only jobs it can run. Each job is one kitt run in this home; its run is pushed to the server
and the job completed once the server acknowledged it. Until then the result is kept in
KITT_HOME/agent/pending/, and reported at the next start or reconnect.
SIGTERM or Ctrl-C: take no more jobs, finish the current one, exit 0. A second signal interrupts
the current job and reports it failed, so the server queues it again.

Examples:
  KITT_SERVER_TOKEN=… kitt-agent run --server http://kitt.example.com:8080
  kitt-agent run --server http://127.0.0.1:8080 --token-env FLEET_TOKEN --home /data/kitt`,
    )
    .action(async (flags: RunFlags) => {
      const env = flags.home ? { ...context.env, KITT_HOME: resolve(flags.home) } : context.env;
      const target = pushTargetFrom(flags.server, env, flags.tokenEnv);
      const { config, home } = loadConfig({ env, explicitPath: flags.config });
      const store = await openRunStore(config.store.url ?? defaultStorePath(home));
      context.onClose(() => store.close());
      const log = (line: string) => context.stderr.write(`[kitt-agent] ${new Date().toISOString()} ${line}\n`);
      const cellRunner = createLocalCellRunner({
        config,
        home,
        env,
        pull: false,
        progress: silentProgress,
        kittVersion: readPackageVersion(),
      });
      const { jobs } = await runAgentLoop({
        client: new FleetClient(target),
        registration: await describeAgentHost(home, env, { config }),
        store,
        cellRunner,
        pending: new PendingResults(join(home, 'agent', 'pending')),
        drain: context.signal,
        interrupt: context.force,
        once: flags.once ?? false,
        heartbeatMs: 5_000,
        pollWaitS: Math.max(1, Number(flags.pollWait) || 20),
        log,
      });
      log(`stopped after ${jobs} job${jobs === 1 ? '' : 's'}`);
    });
}
