import { type ContainerSpec, LABELS } from '../container-runtime.js';

/**
 * What one benchmark on Kubernetes needs, in the runtime's terms: the engine's container as the
 * launch plan settled it (image, command, env, limits), where its model lives in the cluster, how
 * to tell it is ready, and the load generator's workers. Pure data: buildManifests turns it into
 * the objects kitt creates, and nothing here knows an engine by name.
 */
export interface KubernetesRunSpec {
  readonly namespace: string;
  readonly runId: string;
  /** The engine's catalog name (the `kitt.engine` label). */
  readonly engine: string;
  /** `user@host:pid:startTime`; an annotation, since label values may not hold `@` or `:`. */
  readonly owner: string;
  readonly container: ContainerSpec;
  /** The port the engine listens on inside its Pod; the Service exposes the same number. */
  readonly port: number;
  readonly readiness: { readonly path: string; readonly timeoutMs: number };
  readonly model: ModelSource;
  readonly load: LoadJobSpec;
}

/**
 * Where the model comes from: a PersistentVolumeClaim (the path is inside the claim) or a path on
 * the node (hostPath: every node that may run the Pod must hold it).
 */
export type ModelSource =
  | { readonly kind: 'pvc'; readonly claimName: string; readonly path: string; readonly isDirectory: boolean }
  | { readonly kind: 'host-path'; readonly path: string; readonly isDirectory: boolean };

/** kitt's own load generator as an Indexed Job: one share of the load per worker. */
export interface LoadJobSpec {
  /** kitt's image (the one the Dockerfile builds). */
  readonly image: string;
  /** Worker count: completions = parallelism = workers. */
  readonly workers: number;
  /** The load spec of each worker as JSON, index i at [i]; mounted as /etc/kitt/load-<i>.json. */
  readonly workerLoads: readonly string[];
  /** Arguments of `kitt run` besides --target and --load-file (e.g. --timeout). */
  readonly extraArgs: readonly string[];
  readonly cpus: number;
  readonly memoryBytes: number;
}

/** Kubernetes' recommended labels plus the ones kitt puts on its Docker containers. */
export function kittKubernetesLabels(spec: KubernetesRunSpec, component: 'run' | 'engine' | 'load') {
  return {
    'app.kubernetes.io/name': 'kitt',
    'app.kubernetes.io/managed-by': 'kitt',
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/instance': rootName(spec),
    [LABELS.managed]: 'true',
    [LABELS.runId]: spec.runId,
    [LABELS.engine]: spec.engine,
  };
}

/** The selector that finds everything kitt created, across runs. */
export const MANAGED_SELECTOR = `${LABELS.managed}=true`;

/** The ConfigMap every other object of the run is owned by: `kitt-<run id's tail>`. */
export function rootName(spec: Pick<KubernetesRunSpec, 'runId'>): string {
  return `kitt-${spec.runId.split('-').at(-1) ?? spec.runId}`;
}

export function engineName(spec: KubernetesRunSpec): string {
  return `${rootName(spec)}-engine`;
}

export function loadJobName(spec: KubernetesRunSpec): string {
  return `${rootName(spec)}-load`;
}
