import { stringify } from 'yaml';
import type { RunManifests } from './build-manifests.js';

/**
 * Checks every manifest against Kubernetes' published OpenAPI schemas (kubernetes-models: the
 * schemas of the API server's /openapi/v2, one validator per kind). Throws on the first object
 * that breaks them, naming it and the violation. The schemas load on first use: they cost a
 * quarter of a second that no other command should pay at start.
 */
export async function validateManifests(manifests: RunManifests): Promise<void> {
  const [{ ConfigMap }, { Pod }, { Service }, { Job }] = await Promise.all([
    import('kubernetes-models/v1/ConfigMap'),
    import('kubernetes-models/v1/Pod'),
    import('kubernetes-models/v1/Service'),
    import('kubernetes-models/batch/v1/Job'),
  ]);
  new ConfigMap(manifests.root).validate();
  new Pod(manifests.pod).validate();
  new Service(manifests.service).validate();
  new Job(manifests.job).validate();
}

/** The manifests in creation order, one per element. */
export function manifestList(manifests: RunManifests): readonly object[] {
  return [manifests.root, manifests.pod, manifests.service, manifests.job];
}

/** A multi-document YAML stream (`kubectl apply -f -` reads it), in creation order. */
export function manifestsYaml(manifests: RunManifests): string {
  return manifestList(manifests)
    .map((manifest) => `---\n${stringify(manifest, { lineWidth: 0, aliasDuplicateObjects: false })}`)
    .join('');
}
