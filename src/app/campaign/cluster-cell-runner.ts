import type { CampaignPlan } from '../../campaign/plan-campaign.js';
import type { KittConfig } from '../../config/config-schema.js';
import { isInterruption, KittError } from '../../core/errors.js';
import { newRunId } from '../../core/ids.js';
import type { Store } from '../../store/store-types.js';
import { type KubernetesFlags, type KubernetesRunPlan, planKubernetesRun } from '../run/kubernetes-run-plan.js';
import { runAndRecordOnCluster } from '../run/record-cluster-run.js';
import type { ClusterPort } from '../run/run-on-cluster.js';
import type { RunFlags } from '../run/run-plan.js';
import { runFlagsOf } from './cell-flags.js';
import type { CellRunner } from './cell-runner.js';

/**
 * A cell as `kitt run --runtime kubernetes` flags: the cell's run without its mode (a cluster runs
 * every engine as a Pod) and without the campaign's SLO (a cluster run is not judged by one yet;
 * the campaign report judges its SLOs itself).
 */
export function clusterRunFlagsOf(
  cell: Pick<CampaignPlan['cells'][number], 'content'>,
  cluster: KubernetesFlags,
): RunFlags & KubernetesFlags {
  const { mode: _mode, ...flags } = runFlagsOf(cell.content, undefined);
  return { ...flags, ...cluster, runtime: 'kubernetes' };
}

/** One cell's cluster plan, or the problem that keeps it off the cluster. */
export type ClusterCellPlan =
  | { readonly cellId: string; readonly plan: KubernetesRunPlan }
  | { readonly cellId: string; readonly problem: KittError };

/** Every cell planned for the cluster, each with its own run id; problems are kept per cell, not thrown. */
export async function planClusterCells(
  campaign: CampaignPlan,
  cluster: KubernetesFlags,
  config: KittConfig,
  env: NodeJS.ProcessEnv,
): Promise<ClusterCellPlan[]> {
  return Promise.all(
    campaign.cells.map(async (cell): Promise<ClusterCellPlan> => {
      try {
        const plan = await planKubernetesRun(clusterRunFlagsOf(cell, cluster), config, { runId: newRunId(), env });
        return { cellId: cell.id, plan };
      } catch (error) {
        const problem = error instanceof KittError ? error : new KittError('INTERNAL', String(error));
        return { cellId: cell.id, problem };
      }
    }),
  );
}

/** The cells a cluster cannot run, as one USAGE error naming each cell and its problem. */
export function refuseUnplannable(plans: readonly ClusterCellPlan[]): void {
  const problems = plans.flatMap((p) => ('problem' in p ? [`cell ${p.cellId}: ${p.problem.message}`] : []));
  if (problems.length === 0) return;
  const hint = plans.find((p) => 'problem' in p && p.problem.hint) as { problem: KittError } | undefined;
  throw new KittError('USAGE', `${problems.length} cell(s) cannot run on Kubernetes:\n  ${problems.join('\n  ')}`, {
    hint: hint?.problem.hint ?? 'change the campaign matrix, or run it without --runtime kubernetes',
  });
}

export interface ClusterCellRunnerOptions {
  readonly config: KittConfig;
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
  readonly cluster: KubernetesFlags;
  /** The cluster calls (KubernetesClient from the kubeconfig; a recorded API server in tests). */
  readonly clusterPort: () => ClusterPort | Promise<ClusterPort>;
  readonly store: Pick<Store, 'recordRunStarted' | 'recordRunFinished'>;
}

/**
 * Runs cells on a Kubernetes cluster, each exactly as `kitt run --runtime kubernetes` with the
 * cell's flags would: planned by planKubernetesRun, run and recorded by runAndRecordOnCluster (a
 * store row, manifests.yaml and cluster-load.json), with the stored config naming the cell.
 */
export function createClusterCellRunner(options: ClusterCellRunnerOptions): CellRunner {
  return {
    async runCell(request, hooks, context) {
      const runId = newRunId();
      await hooks.started(runId);
      try {
        const flags = clusterRunFlagsOf(request.cell, options.cluster);
        const plan = await planKubernetesRun(flags, options.config, { runId, env: options.env });
        const outcome = await runAndRecordOnCluster(
          plan,
          await options.clusterPort(),
          options.store,
          {
            home: options.home,
            config: { ...options.config, campaign: { id: request.campaignId, cell: request.cell.id } },
          },
          { progress: context.progress, signal: context.signal },
        );
        const failed = outcome.merged.requests.succeeded === 0;
        return {
          runId,
          resultDir: outcome.resultDir,
          status: failed ? 'failed' : 'succeeded',
          ...(failed ? { error: new KittError('LOAD_FAILED', 'no request of any load worker succeeded') } : {}),
        };
      } catch (error) {
        const interrupted = isInterruption(error) || context.signal.aborted;
        return {
          runId,
          status: interrupted ? 'interrupted' : 'failed',
          error: error instanceof KittError ? error : new KittError('INTERNAL', String(error)),
        };
      }
    },
  };
}
