import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { findCampaign, writeCampaignReport } from '../../app/campaign/campaign-report.js';
import { allCampaignStatuses, campaignStatus } from '../../app/campaign/campaign-status.js';
import {
  createClusterCellRunner,
  planClusterCells,
  refuseUnplannable,
} from '../../app/campaign/cluster-cell-runner.js';
import { createLocalCellRunner } from '../../app/campaign/local-cell-runner.js';
import { readCampaign } from '../../app/campaign/read-campaign.js';
import { campaignFolder, runCampaign } from '../../app/campaign/run-campaign.js';
import { DEFAULT_TOKEN_ENV } from '../../app/push/push-target.js';
import { openRunStore } from '../../app/shared/open-run-store.js';
import { type LoadedConfig, loadConfig } from '../../config/load-config.js';
import { KittError } from '../../core/errors.js';
import { collectHardware } from '../../hardware/fingerprint.js';
import { defaultStorePath } from '../../store/open-store.js';
import type { Store } from '../../store/store-types.js';
import type { CliContext } from '../cli-context.js';
import { readPackageVersion } from '../version.js';
import { clusterFlags, renderCampaignManifests } from './campaign-cluster.js';
import { runCampaignOnFleet } from './campaign-fleet.js';
import { planJson, renderPlan, renderRunOutcome, renderStatus, renderStatuses, statusJson } from './campaign-render.js';
import { addClusterOptions, type KubernetesRunFlags, wantsKubernetes } from './run-kubernetes.js';

interface CommonFlags {
  readonly home?: string;
  readonly config?: string;
  readonly json?: boolean;
}

type RunCampaignFlags = CommonFlags & KubernetesRunFlags & { pull?: boolean; server?: string; tokenEnv?: string };

function configFor(flags: CommonFlags, context: CliContext): { loaded: LoadedConfig; env: NodeJS.ProcessEnv } {
  const env = flags.home ? { ...context.env, KITT_HOME: resolve(flags.home) } : context.env;
  return { loaded: loadConfig({ env, explicitPath: flags.config }), env };
}

async function openCampaignStore(loaded: LoadedConfig, context: CliContext): Promise<Store> {
  const store = await openRunStore(loaded.config.store.url ?? defaultStorePath(loaded.home));
  context.onClose(() => store.close());
  return store;
}

const common = (command: Command) =>
  command
    .option('--home <dir>', "kitt's home: the store, results and campaigns folder (default: KITT_HOME or ~/.kitt)")
    .option('--config <path>', 'config file (default: ./kitt.yaml or KITT_HOME/config.yaml)');

function registerPlan(campaign: Command, context: CliContext): void {
  const command = common(
    campaign
      .command('plan <file>')
      .description('print the cells of a campaign file and the estimated time; runs nothing'),
  ).option('--json', 'print the plan as JSON');
  addClusterOptions(command)
    .addHelpText(
      'after',
      `
Every problem of the file is reported at once, with its path (matrix.loads[1].rate: ...).
Each cell's id is the hash of what it runs: a reordered file keeps its ids.
With --runtime kubernetes it prints every cell's manifests instead (Pod, Service and load Job,
validated against Kubernetes' schemas), ready for kubectl apply -f -.

Examples:
  kitt campaign plan campaign.yaml
  kitt campaign plan campaign.yaml --json
  kitt campaign plan campaign.yaml --runtime kubernetes --namespace bench --model-pvc models`,
    )
    .action(async (file: string, flags: CommonFlags & KubernetesRunFlags) => {
      const { loaded, env } = configFor(flags, context);
      const onCluster = wantsKubernetes(flags);
      const plan = readCampaign(file, loaded.config, onCluster ? 'cluster' : 'host');
      if (onCluster) {
        context.stdout.write(await renderCampaignManifests(plan, flags, loaded.config, env));
        return;
      }
      context.stdout.write(flags.json ? planJson(plan) : renderPlan(plan));
    });
}

/** The error a campaign run leaves with: the signal's (130/143), else the first failed cell's. */
function runError(outcome: Awaited<ReturnType<typeof runCampaign>>, file: string): KittError | undefined {
  const resume = `kitt campaign run ${file} resumes it: cells that succeeded are not run again`;
  if (outcome.interruption) {
    return new KittError(
      outcome.interruption.code,
      `campaign ${outcome.campaign.id} was ${outcome.interruption.message}`,
      {
        hint: resume,
      },
    );
  }
  const failed = outcome.attempts.filter((attempt) => attempt.status === 'failed');
  if (failed.length === 0) return undefined;
  const first = failed[0]!;
  return new KittError(
    first.error?.code ?? 'INTERNAL',
    `${failed.length} of ${outcome.cells.length} cells failed; cell ${first.cellId}: ${first.error?.message ?? 'failed'}`,
    { hint: `${first.error?.hint ? `${first.error.hint}; then ` : ''}${resume}` },
  );
}

function registerRun(campaign: Command, context: CliContext): void {
  const command = common(
    campaign.command('run <file>').description('run the cells of a campaign one at a time; resumes where it stopped'),
  ).option('--pull', 'pull engine images that are missing');
  addClusterOptions(command)
    .option('--server <url>', "run it on a kitt server's fleet of kitt-agents instead of here, and follow it")
    .option('--token-env <var>', 'with --server: the variable holding a token with the write scope', DEFAULT_TOKEN_ENV)
    .addHelpText(
      'after',
      `
Each cell is one kitt run (its own run id, result folder, report.html and store row). The campaign
and the state of each cell (pending, running, succeeded, failed, interrupted) are in the results
store. Run the same file again and the cells that succeeded are skipped; the others run again.
Ctrl-C stops the current cell as kitt run does (recorded as interrupted) and exits 130.
At the end: KITT_HOME/campaigns/<campaign id>/campaign.html.
With --server, the cells are jobs on the server's queue, run by kitt-agent run on the team's
hosts (docs/campaign.md, Fleet); kitt follows them and prints the status table at the end.
With --runtime kubernetes, each cell runs on the kubeconfig's current cluster as kitt run
--runtime kubernetes does (engine Pod, load Job), recorded in this store; every cell is planned
first, and one the cluster cannot run stops the campaign before anything starts.

Examples:
  kitt campaign run campaign.yaml
  kitt campaign run campaign.yaml --home /data/kitt
  KITT_SERVER_TOKEN=… kitt campaign run campaign.yaml --server http://kitt.example.com:8080
  kitt campaign run campaign.yaml --runtime kubernetes --namespace bench --model-pvc models`,
    )
    .action(async (file: string, flags: RunCampaignFlags) => {
      const onCluster = wantsKubernetes(flags);
      if (flags.server && onCluster) {
        throw new KittError('USAGE', '--server and --runtime kubernetes are two places to run the cells', {
          hint: 'choose one: the fleet of kitt-agents (--server) or the cluster (--runtime kubernetes)',
        });
      }
      if (flags.server) return runCampaignOnFleet(file, { server: flags.server, tokenEnv: flags.tokenEnv }, context);
      const { loaded, env } = configFor(flags, context);
      const plan = readCampaign(file, loaded.config, onCluster ? 'cluster' : 'host');
      // a cell the cluster cannot run is found before the first one starts
      if (onCluster) refuseUnplannable(await planClusterCells(plan, clusterFlags(flags), loaded.config, env));
      context.progress.info(`campaign ${plan.id}: ${plan.cells.length} cells`);
      const store = await openCampaignStore(loaded, context);
      const cellRunner = onCluster
        ? createClusterCellRunner({
            config: loaded.config,
            home: loaded.home,
            env,
            cluster: clusterFlags(flags),
            // the client library is a large import: only a campaign on a cluster loads it
            clusterPort: async () => {
              const { KubernetesClient } = await import('../../runtime/kubernetes/kubernetes-client.js');
              return KubernetesClient.fromDefaultKubeconfig(env);
            },
            store,
          })
        : createLocalCellRunner({
            config: loaded.config,
            home: loaded.home,
            env,
            pull: flags.pull ?? false,
            progress: context.progress,
            kittVersion: readPackageVersion(),
          });
      const host = async () => {
        const hardware = await collectHardware({ env, dockerTimeoutMs: 1_000 });
        return {
          hostname: hostname(),
          gpuNames: hardware.gpu.available ? hardware.gpu.gpus.map((gpu) => gpu.name) : [],
        };
      };
      const outcome = await runCampaign(
        plan,
        { store, cellRunner, host },
        { progress: context.progress, signal: context.signal, force: context.force },
        { home: loaded.home, source: resolve(file) },
      );
      const report = outcome.interruption
        ? undefined
        : await writeCampaignReport(
            store,
            outcome.campaign,
            outcome.campaign.folder ?? campaignFolder(loaded.home, plan.id),
          );
      context.stdout.write(renderRunOutcome(outcome, report?.path));
      const error = runError(outcome, file);
      if (error) throw error;
    });
}

function registerStatus(campaign: Command, context: CliContext): void {
  common(campaign.command('status [name]').description('the cells of a campaign by state, with their runs'))
    .option('--json', 'print the status as JSON')
    .addHelpText(
      'after',
      `
NAME is a campaign's name (the latest campaign of that name) or its id; without it, every campaign.

Examples:
  kitt campaign status
  kitt campaign status embedded-grid
  kitt campaign status embedded-grid --json`,
    )
    .action(async (name: string | undefined, flags: CommonFlags) => {
      const { loaded } = configFor(flags, context);
      const store = await openCampaignStore(loaded, context);
      if (name === undefined) {
        const statuses = await allCampaignStatuses(store);
        context.stdout.write(flags.json ? statusJson(statuses) : renderStatuses(statuses));
        return;
      }
      const status = await campaignStatus(store, name);
      context.stdout.write(flags.json ? statusJson(status) : renderStatus(status));
    });
}

function registerReport(campaign: Command, context: CliContext): void {
  common(campaign.command('report <name>').description("write a campaign's campaign.html again from the store"))
    .addHelpText(
      'after',
      `
campaign.html: one table and heat map per metric over the matrix (throughput, TTFT p50/p99,
TPOT p50, goodput under each SLO), the best configuration per SLO, a link to each cell's
report.html, and compare.html: every succeeded cell against the first (kitt compare).

Examples:
  kitt campaign report embedded-grid`,
    )
    .action(async (name: string, flags: CommonFlags) => {
      const { loaded } = configFor(flags, context);
      const store = await openCampaignStore(loaded, context);
      const found = await findCampaign(store, name);
      const written = await writeCampaignReport(store, found, found.folder ?? campaignFolder(loaded.home, found.id));
      context.stdout.write(`${written.path}\n`);
    });
}

/** `kitt campaign plan|run|status|report`: a matrix of runs from one YAML file, resumable. */
export function registerCampaignCommand(program: Command, context: CliContext): void {
  const campaign = program
    .command('campaign')
    .description('run a matrix of benchmarks (models × engines × limits × loads) from one file, resumably')
    .addHelpText('after', '\nThe file format, resumability and the estimate: docs/campaign.md');
  registerPlan(campaign, context);
  registerRun(campaign, context);
  registerStatus(campaign, context);
  registerReport(campaign, context);
}
