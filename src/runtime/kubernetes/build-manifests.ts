import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import { LABELS } from '../container-runtime.js';
import { engineName, type KubernetesRunSpec, kittKubernetesLabels, loadJobName, rootName } from './kubernetes-spec.js';

/** The objects of one run, in the order they are created: the root first, the load last. */
export interface RunManifests {
  readonly root: IConfigMap;
  readonly pod: IPod;
  readonly service: IService;
  readonly job: IJob;
}

/** Where the root's uid goes before the API server has assigned one (the dry run). */
export const UNASSIGNED_UID = 'assigned-when-the-configmap-is-created';

const LOAD_DIR = '/etc/kitt';
/** The Indexed Job's completion index, read through the downward API (the controller sets it). */
const WORKER_INDEX_ENV = 'KITT_WORKER_INDEX';
const READINESS_PERIOD_S = 2;
const STARTUP_PERIOD_S = 5;
const PROBE_TIMEOUT_S = 2;

/**
 * Builds the run's objects from its spec. Pure: the same spec and root uid always give the same
 * manifests (the fixtures under fixtures/ pin them). Every object but the root carries an
 * ownerReference to the root ConfigMap, so deleting it (propagationPolicy Foreground) makes the
 * garbage collector delete the Pod, the Service and the Job with its worker Pods.
 */
export function buildManifests(spec: KubernetesRunSpec, rootUid: string = UNASSIGNED_UID): RunManifests {
  return {
    root: buildRoot(spec),
    pod: buildEnginePod(spec, rootUid),
    service: buildService(spec, rootUid),
    job: buildLoadJob(spec, rootUid),
  };
}

function metadata(spec: KubernetesRunSpec, name: string, component: 'run' | 'engine' | 'load', rootUid?: string) {
  return {
    name,
    namespace: spec.namespace,
    labels: kittKubernetesLabels(spec, component),
    annotations: { [LABELS.owner]: spec.owner },
    ...(rootUid === undefined
      ? {}
      : {
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: rootName(spec), uid: rootUid, blockOwnerDeletion: true },
          ],
        }),
  };
}

/** The root: the workers' load specs and what the run is, created first and deleted last. */
export function buildRoot(spec: KubernetesRunSpec): IConfigMap {
  const loads = Object.fromEntries(spec.load.workerLoads.map((json, index) => [`load-${index}.json`, json]));
  const run = { runId: spec.runId, engine: spec.engine, workers: spec.load.workers, image: spec.container.image };
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: metadata(spec, rootName(spec), 'run'),
    data: { 'run.json': JSON.stringify(run), ...loads },
  };
}

/**
 * A bare Pod rather than a Deployment: a benchmark measures one engine with one identity, and a
 * Deployment's ReplicaSet would replace an engine that was OOM-killed or crashed — the very end
 * the run must report — and measure its successor as if nothing happened. restartPolicy Never
 * for the same reason.
 */
export function buildEnginePod(spec: KubernetesRunSpec, rootUid: string = UNASSIGNED_UID): IPod {
  const { container } = spec;
  const probe = { httpGet: { path: spec.readiness.path, port: 'http' }, timeoutSeconds: PROBE_TIMEOUT_S };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: metadata(spec, engineName(spec), 'engine', rootUid),
    spec: {
      restartPolicy: 'Never',
      enableServiceLinks: false,
      containers: [
        {
          name: 'engine',
          image: container.image,
          ...(container.entrypoint ? { command: [...container.entrypoint] } : {}),
          args: [...container.cmd],
          env: engineEnv(container.env),
          ports: [{ name: 'http', containerPort: spec.port, protocol: 'TCP' }],
          resources: guaranteedResources(
            container.limits.cpus,
            container.limits.memoryBytes,
            gpuCount(container.limits.gpus),
          ),
          readinessProbe: { ...probe, periodSeconds: READINESS_PERIOD_S, failureThreshold: 3 },
          // the engine's whole loading budget: kubelet restarts nothing (Never), it marks the Pod failed
          startupProbe: {
            ...probe,
            periodSeconds: STARTUP_PERIOD_S,
            failureThreshold: Math.max(1, Math.ceil(spec.readiness.timeoutMs / 1000 / STARTUP_PERIOD_S)),
          },
          volumeMounts: engineMounts(spec),
          ...(container.workingDir ? { workingDir: container.workingDir } : {}),
        },
      ],
      volumes: engineVolumes(spec),
    },
  };
}

/**
 * The device plugin hands the container the GPUs it was allocated, renumbered from 0, so the
 * CUDA_VISIBLE_DEVICES a Docker launch sets would point at the wrong ones.
 */
function engineEnv(env: Readonly<Record<string, string>>) {
  return Object.entries(env)
    .filter(([name]) => name !== 'CUDA_VISIBLE_DEVICES')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => ({ name, value }));
}

function engineMounts(spec: KubernetesRunSpec) {
  const model = spec.container.mounts.find((m) => m.type === 'bind');
  const target = model?.target ?? '/models';
  const subPath = spec.model.kind === 'pvc' ? { subPath: spec.model.path.replace(/^\/+/, '') } : {};
  return [
    { name: 'model', mountPath: target, readOnly: true, ...subPath },
    ...namedVolumes(spec).map((v) => ({ name: v.name, mountPath: v.target })),
    ...(spec.container.shmSizeBytes ? [{ name: 'dshm', mountPath: '/dev/shm' }] : []),
  ];
}

function engineVolumes(spec: KubernetesRunSpec): IVolume[] {
  const model =
    spec.model.kind === 'pvc'
      ? { name: 'model', persistentVolumeClaim: { claimName: spec.model.claimName, readOnly: true } }
      : {
          name: 'model',
          hostPath: {
            path: spec.model.path,
            type: spec.model.isDirectory ? ('Directory' as const) : ('File' as const),
          },
        };
  return [
    model,
    // a Docker named volume keeps an engine's store between runs; a Pod's lives as long as the run
    ...namedVolumes(spec).map((v) => ({ name: v.name, emptyDir: {} })),
    // memory-backed /dev/shm: it counts against the memory limit, as Docker's --shm-size does not
    ...(spec.container.shmSizeBytes
      ? [{ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: quantityOfBytes(spec.container.shmSizeBytes) } }]
      : []),
  ];
}

function namedVolumes(spec: KubernetesRunSpec) {
  return spec.container.mounts
    .filter((m) => m.type === 'volume')
    .map((m, index) => ({ name: `store-${index}`, target: m.target }));
}

export function buildService(spec: KubernetesRunSpec, rootUid: string = UNASSIGNED_UID): IService {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadata(spec, engineName(spec), 'engine', rootUid),
    spec: {
      type: 'ClusterIP',
      selector: { [LABELS.runId]: spec.runId, 'app.kubernetes.io/component': 'engine' },
      ports: [{ name: 'http', port: spec.port, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

/** The engine's address inside the cluster, as the load workers reach it. */
export function serviceUrl(spec: KubernetesRunSpec): string {
  return `http://${engineName(spec)}.${spec.namespace}.svc:${spec.port}`;
}

/**
 * kitt's own image as an Indexed Job: worker i runs `kitt run --target <service>` with the i-th
 * share of the load and prints its outcome, HDR histograms included, as JSON on stdout, where kitt
 * reads it from the Pod's log and merges the histograms (bucket counts add, so percentiles are exact).
 */
export function buildLoadJob(spec: KubernetesRunSpec, rootUid: string = UNASSIGNED_UID): IJob {
  const { load } = spec;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: metadata(spec, loadJobName(spec), 'load', rootUid),
    spec: {
      completionMode: 'Indexed',
      completions: load.workers,
      parallelism: load.workers,
      // a failed worker fails the run: a retry would measure a share twice
      backoffLimit: 0,
      template: {
        metadata: { labels: kittKubernetesLabels(spec, 'load') },
        spec: {
          restartPolicy: 'Never',
          enableServiceLinks: false,
          containers: [
            {
              name: 'load',
              image: load.image,
              args: [
                'run',
                '--target',
                serviceUrl(spec),
                '--load-file',
                `${LOAD_DIR}/load-$(${WORKER_INDEX_ENV}).json`,
                '--json',
                ...load.extraArgs,
              ],
              env: [
                {
                  name: WORKER_INDEX_ENV,
                  valueFrom: {
                    fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" },
                  },
                },
              ],
              resources: guaranteedResources(load.cpus, load.memoryBytes, 0),
              volumeMounts: [{ name: 'load', mountPath: LOAD_DIR, readOnly: true }],
            },
          ],
          volumes: [{ name: 'load', configMap: { name: rootName(spec) } }],
        },
      },
    },
  };
}

/**
 * requests = limits for CPU and memory (and GPUs, which admit nothing else): the Guaranteed QoS
 * class, so the engine gets exactly the share kitt measures and calibrates, never more when the
 * node is idle.
 */
function guaranteedResources(cpus: number | undefined, memoryBytes: number | undefined, gpus: number) {
  const amounts: Record<string, string> = {
    ...(cpus === undefined ? {} : { cpu: quantityOfCpus(cpus) }),
    ...(memoryBytes === undefined ? {} : { memory: quantityOfBytes(memoryBytes) }),
    ...(gpus > 0 ? { 'nvidia.com/gpu': String(gpus) } : {}),
  };
  return { requests: amounts, limits: { ...amounts } };
}

/**
 * GPUs asked for, as a count: the scheduler picks which of a node's GPUs, so `--gpus 0,2` asks for
 * two and `all` (what GPU engines default to) for one.
 */
export function gpuCount(gpus: 'all' | readonly number[] | undefined): number {
  if (gpus === undefined) return 0;
  return gpus === 'all' ? 1 : gpus.length;
}

/** Cores as a Kubernetes quantity: whole cores bare ("2"), fractions in millicores ("500m"). */
export function quantityOfCpus(cpus: number): string {
  const milli = Math.round(cpus * 1000);
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

/** Bytes as a Kubernetes quantity in the largest binary unit that divides them ("1Gi", "1536Mi"). */
export function quantityOfBytes(bytes: number): string {
  const units: ReadonlyArray<[string, number]> = [
    ['Ti', 2 ** 40],
    ['Gi', 2 ** 30],
    ['Mi', 2 ** 20],
    ['Ki', 2 ** 10],
  ];
  for (const [suffix, size] of units) if (bytes % size === 0) return `${bytes / size}${suffix}`;
  return String(bytes);
}
