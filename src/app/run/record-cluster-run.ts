import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KittError } from '../../core/errors.js';
import { ensureWritableDir } from '../../core/kitt-home.js';
import type { Progress } from '../../core/progress.js';
import { encodeHistograms } from '../../metrics/metric-histograms.js';
import { manifestsYaml } from '../../runtime/kubernetes/validate-manifests.js';
import type { Store } from '../../store/store-types.js';
import type { KubernetesRunPlan } from './kubernetes-run-plan.js';
import type { MergedWorkerLoad } from './merge-worker-outcomes.js';
import { type ClusterPort, runOnCluster } from './run-on-cluster.js';

export interface ClusterRunRequest {
  readonly home: string;
  /** The result folder (default `<home>/results/<run id>`). */
  readonly resultDir?: string | undefined;
  /** The config as it is recorded with a run (secrets masked). */
  readonly config: unknown;
}

export interface ClusterRunOutcome {
  readonly runId: string;
  readonly resultDir: string;
  readonly merged: MergedWorkerLoad;
}

/** What `cluster-load.json` holds and `kitt run --runtime kubernetes --json` prints. */
export function clusterLoadJson(runId: string, merged: MergedWorkerLoad): string {
  const { histograms, ...data } = merged;
  return `${JSON.stringify({ runId, ...data, histograms: encodeHistograms(histograms) }, null, 2)}\n`;
}

/**
 * A cluster run, recorded as every run is: a store row from the start (so a kitt that dies
 * mid-run leaves an `abandoned` row, not nothing), the manifests it applied and the workers'
 * merged outcome in its result folder, and its end (succeeded, interrupted or failed with the
 * one-line cause) in the store.
 */
export async function runAndRecordOnCluster(
  plan: KubernetesRunPlan,
  cluster: ClusterPort,
  store: Pick<Store, 'recordRunStarted' | 'recordRunFinished'>,
  request: ClusterRunRequest,
  context: { readonly progress: Progress; readonly signal?: AbortSignal | undefined },
): Promise<ClusterRunOutcome> {
  const { spec } = plan;
  const runId = spec.runId;
  const resultDir = ensureWritableDir(request.resultDir ?? join(request.home, 'results', runId));
  await writeFile(join(resultDir, 'manifests.yaml'), manifestsYaml(plan.manifests));
  await store.recordRunStarted({
    id: runId,
    engine: spec.engine,
    mode: 'kubernetes',
    model: spec.model.path,
    config: request.config,
    limits: spec.container.limits,
    resultPath: resultDir,
    owner: spec.owner,
  });
  let merged: MergedWorkerLoad;
  try {
    merged = await runOnCluster(plan, cluster, context);
  } catch (error) {
    const interrupted = context.signal?.aborted === true;
    await store.recordRunFinished(runId, {
      status: interrupted ? 'interrupted' : 'failed',
      resultPath: resultDir,
      error: error instanceof Error ? error.message : String(error),
    });
    throw error;
  }
  const succeeded = merged.requests.succeeded > 0;
  const written = await writeFile(join(resultDir, 'cluster-load.json'), clusterLoadJson(runId, merged)).then(
    () => undefined,
    (cause: unknown) =>
      new KittError('EXPORT_FAILED', `cannot write cluster-load.json in ${resultDir}`, {
        hint: 'free disk space or fix the folder permissions; the merged figures are in the store',
        cause,
      }),
  );
  await store.recordRunFinished(runId, {
    status: succeeded ? 'succeeded' : 'failed',
    resultPath: resultDir,
    metrics: { workers: merged.workers, requests: merged.requests, distributions: merged.distributions },
    ...(succeeded ? {} : { error: 'no request of any load worker succeeded' }),
  });
  if (written) throw written;
  return { runId, resultDir, merged };
}
