import type { Progress } from '../../core/progress.js';
import { buildManifests } from '../../runtime/kubernetes/build-manifests.js';
import type { KubernetesClient } from '../../runtime/kubernetes/kubernetes-client.js';
import { engineName, loadJobName } from '../../runtime/kubernetes/kubernetes-spec.js';
import { validateManifests } from '../../runtime/kubernetes/validate-manifests.js';
import type { KubernetesRunPlan } from './kubernetes-run-plan.js';
import { type MergedWorkerLoad, mergeWorkerOutcomes } from './merge-worker-outcomes.js';

/** The cluster calls a run makes; KubernetesClient is the real one. */
export type ClusterPort = Pick<
  KubernetesClient,
  | 'describeEndpoint'
  | 'reapLeftovers'
  | 'createRoot'
  | 'createEngine'
  | 'waitForReady'
  | 'createLoad'
  | 'waitForLoad'
  | 'workerLogs'
  | 'deleteRun'
>;

/** Pulling an engine image (vLLM's is ~10 GB) comes before the startup probe's budget starts. */
const IMAGE_PULL_BUDGET_MS = 15 * 60 * 1000;
/** A load generous enough for a share of a long run: the workers' own deadlines end it first. */
const LOAD_BUDGET_MS = 24 * 3600 * 1000;

/**
 * One benchmark on a cluster: reap the runs of kitts that are gone, create the root, then the engine
 * Pod and Service owned by it, wait for the engine's own readiness probe, run the load Job, read
 * every worker's outcome from its log and merge their histograms. Whatever happens, the root is
 * deleted in the foreground at the end, and the garbage collector takes everything with it.
 */
export async function runOnCluster(
  plan: KubernetesRunPlan,
  cluster: ClusterPort,
  context: { readonly progress: Progress; readonly signal?: AbortSignal | undefined },
): Promise<MergedWorkerLoad> {
  const { spec } = plan;
  const { progress, signal } = context;
  const reaped = await cluster.reapLeftovers(spec.namespace);
  for (const run of reaped) progress.info(`removed ${run.root}, left by a kitt that ended (run ${run.runId ?? '?'})`);
  const root = await cluster.createRoot(plan.manifests);
  try {
    const manifests = buildManifests(spec, root.uid);
    await validateManifests(manifests);
    progress.info(`starting ${engineName(spec)} in ${spec.namespace} on ${cluster.describeEndpoint()}`);
    const podVersion = await cluster.createEngine(manifests);
    await cluster.waitForReady(spec.namespace, engineName(spec), podVersion, {
      timeoutMs: spec.readiness.timeoutMs + IMAGE_PULL_BUDGET_MS,
      signal,
    });
    progress.info(`${engineName(spec)} is ready; ${spec.load.workers} load worker(s) start`);
    const jobVersion = await cluster.createLoad(manifests);
    await cluster.waitForLoad(spec.namespace, loadJobName(spec), jobVersion, { timeoutMs: LOAD_BUDGET_MS, signal });
    return mergeWorkerOutcomes(await cluster.workerLogs(spec.namespace, loadJobName(spec)));
  } finally {
    await cluster.deleteRun(spec.namespace, root.name);
  }
}
