import { type ClusterCellPlan, planClusterCells, refuseUnplannable } from '../../app/campaign/cluster-cell-runner.js';
import type { KubernetesFlags } from '../../app/run/kubernetes-run-plan.js';
import type { CampaignPlan } from '../../campaign/plan-campaign.js';
import type { KittConfig } from '../../config/config-schema.js';
import { manifestsYaml, validateManifests } from '../../runtime/kubernetes/validate-manifests.js';

/** The cluster half of `kitt campaign`'s flags: where on a cluster its cells run. */
export function clusterFlags(flags: KubernetesFlags): KubernetesFlags {
  return {
    runtime: 'kubernetes',
    ...(flags.namespace ? { namespace: flags.namespace } : {}),
    ...(flags.modelPvc ? { modelPvc: flags.modelPvc } : {}),
    ...(flags.kittImage ? { kittImage: flags.kittImage } : {}),
  };
}

/**
 * `kitt campaign plan FILE --runtime kubernetes`: every cell's manifests, schema-validated, as one
 * multi-document YAML stream, each cell's objects under a comment naming it. A cell the cluster
 * cannot run (an embedded engine, no --cpus) is refused with the others, one line each.
 */
export async function renderCampaignManifests(
  campaign: CampaignPlan,
  flags: KubernetesFlags,
  config: KittConfig,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const plans = await planClusterCells(campaign, clusterFlags(flags), config, env);
  refuseUnplannable(plans);
  const byId = new Map(campaign.cells.map((cell) => [cell.id, cell]));
  const documents: string[] = [];
  for (const entry of plans as ClusterCellPlan[]) {
    if (!('plan' in entry)) continue;
    await validateManifests(entry.plan.manifests);
    const { labels } = byId.get(entry.cellId)!;
    const title = `# cell ${entry.cellId}: ${labels.model} · ${labels.engine} · ${labels.limits} · ${labels.load}`;
    documents.push(`${title}\n${manifestsYaml(entry.plan.manifests)}`);
  }
  return documents.join('');
}
