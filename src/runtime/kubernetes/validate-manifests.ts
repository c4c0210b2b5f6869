import { Job } from 'kubernetes-models/batch/v1/Job';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Service } from 'kubernetes-models/v1/Service';
import { stringify } from 'yaml';
import type { RunManifests } from './build-manifests.js';

/**
 * Checks every manifest against Kubernetes' published OpenAPI schemas (kubernetes-models: the
 * schemas of the API server's /openapi/v2, one validator per kind). Throws on the first object
 * that breaks them, naming it and the violation.
 */
export function validateManifests(manifests: RunManifests): void {
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
