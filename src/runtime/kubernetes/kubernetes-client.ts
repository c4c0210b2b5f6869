import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  ApiException,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  type V1ConfigMap,
  type V1Job,
  type V1Pod,
  type V1Service,
  Watch,
} from '@kubernetes/client-node';
import { KittError } from '../../core/errors.js';
import { LABELS } from '../container-runtime.js';
import { isOwnerAlive, type OwnerIdentity, parseOwner } from '../owner.js';
import type { RunManifests } from './build-manifests.js';
import { MANAGED_SELECTOR } from './kubernetes-spec.js';
import { judgePod } from './pod-verdict.js';

/** The root of a run as the API server knows it: deleting it deletes the rest. */
export interface CreatedRoot {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** How long to wait, and the signal that stops waiting (Ctrl-C). */
export interface WaitOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

/** Set by the Job controller on each worker Pod. */
const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
const COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';

/** A run kitt created, found by its label. */
export interface ManagedRun {
  readonly namespace: string;
  readonly root: string;
  readonly runId: string | undefined;
  readonly owner: string | undefined;
}

/**
 * The only code that speaks to the Kubernetes API: creates a run's objects in order, watches the
 * engine Pod until it is Ready or fails for good, deletes the root (the garbage collector takes
 * the rest) and lists what kitt left behind. Speaks kitt's manifests and errors outward; the
 * client library's types stay inside.
 */
export class KubernetesClient {
  private readonly core: CoreV1Api;
  private readonly batch: BatchV1Api;

  constructor(private readonly config: KubeConfig) {
    this.core = config.makeApiClient(CoreV1Api);
    this.batch = config.makeApiClient(BatchV1Api);
  }

  /**
   * The current context of the usual kubeconfig ($KUBECONFIG, ~/.kube/config, or the in-cluster
   * service account). Without any of them the library would fall back to http://localhost:8080,
   * which is never the cluster a person meant: that is refused in one line instead.
   */
  static fromDefaultKubeconfig(env: NodeJS.ProcessEnv = process.env): KubernetesClient {
    const home = env.HOME ?? homedir();
    const found =
      Boolean(env.KUBECONFIG) || existsSync(join(home, '.kube', 'config')) || Boolean(env.KUBERNETES_SERVICE_HOST);
    if (!found) {
      throw new KittError(
        'RUNTIME_UNREACHABLE',
        'no kubeconfig: neither $KUBECONFIG, ~/.kube/config nor an in-cluster service account',
        {
          hint: "set KUBECONFIG to your cluster's config, or use --dry-run to print the manifests",
        },
      );
    }
    const config = new KubeConfig();
    config.loadFromDefault();
    return new KubernetesClient(config);
  }

  describeEndpoint(): string {
    return `${this.config.getCurrentCluster()?.server ?? 'no cluster'} (context ${this.config.getCurrentContext()})`;
  }

  /** Creates the root ConfigMap; its uid is what every other object's ownerReference names. */
  async createRoot(manifests: RunManifests): Promise<CreatedRoot> {
    const namespace = manifests.root.metadata!.namespace!;
    const created = await this.call('create the run ConfigMap', () =>
      this.core.createNamespacedConfigMap({ namespace, body: manifests.root as V1ConfigMap }),
    );
    return { namespace, name: created.metadata!.name!, uid: created.metadata!.uid! };
  }

  /** Creates the engine Pod and its Service (built with the root's uid); returns the Pod's resourceVersion. */
  async createEngine(manifests: RunManifests): Promise<string> {
    const namespace = manifests.pod.metadata!.namespace!;
    const pod = await this.call('create the engine Pod', () =>
      this.core.createNamespacedPod({ namespace, body: manifests.pod as V1Pod }),
    );
    await this.call('create the engine Service', () =>
      this.core.createNamespacedService({ namespace, body: manifests.service as V1Service }),
    );
    return pod.metadata!.resourceVersion!;
  }

  /** Creates the load Job once the engine is Ready; returns its resourceVersion to watch from. */
  async createLoad(manifests: RunManifests): Promise<string> {
    const namespace = manifests.job.metadata!.namespace!;
    const job = await this.call('create the load Job', () =>
      this.batch.createNamespacedJob({ namespace, body: manifests.job as V1Job }),
    );
    return job.metadata!.resourceVersion!;
  }

  /**
   * Watches the engine Pod from `resourceVersion` (the create response's, so no event is missed)
   * until its Ready condition is True, or a failure that will not heal: one-line KittError naming
   * the cause.
   */
  async waitForReady(namespace: string, podName: string, resourceVersion: string, options: WaitOptions): Promise<void> {
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
    await this.watchUntil(path, podName, resourceVersion, options, (pod: V1Pod) => {
      const verdict = judgePod(pod);
      if (verdict.state === 'failed') return verdict.error;
      return verdict.state === 'ready' ? 'done' : verdict.detail;
    });
  }

  /** Watches the load Job until every worker completed, or one failed (backoffLimit 0 fails the Job). */
  async waitForLoad(namespace: string, jobName: string, resourceVersion: string, options: WaitOptions): Promise<void> {
    const path = `/apis/batch/v1/namespaces/${encodeURIComponent(namespace)}/jobs`;
    await this.watchUntil(path, jobName, resourceVersion, options, (job: V1Job) => {
      const conditions = job.status?.conditions ?? [];
      if (conditions.some((c) => c.type === 'Complete' && c.status === 'True')) return 'done';
      const failed = conditions.find((c) => c.type === 'Failed' && c.status === 'True');
      if (failed) {
        return new KittError(
          'LOAD_FAILED',
          `load Job ${jobName} failed: ${failed.message ?? failed.reason ?? 'a worker failed'}`,
          {
            hint: `kubectl logs -n ${namespace} -l batch.kubernetes.io/job-name=${jobName}`,
          },
        );
      }
      return `${job.status?.succeeded ?? 0} of ${job.spec?.completions ?? '?'} workers done`;
    });
  }

  /** Each worker's log, in completion-index order: what `kitt run --json` printed there. */
  async workerLogs(namespace: string, jobName: string): Promise<string[]> {
    const pods = await this.call('list the load workers', () =>
      this.core.listNamespacedPod({ namespace, labelSelector: `${JOB_NAME_LABEL}=${jobName}` }),
    );
    const index = (pod: V1Pod) => Number(pod.metadata?.annotations?.[COMPLETION_INDEX_ANNOTATION] ?? 0);
    const sorted = [...pods.items].sort((a, b) => index(a) - index(b));
    return Promise.all(
      sorted.map((pod) =>
        this.call(`read the log of ${pod.metadata!.name!}`, () =>
          this.core.readNamespacedPodLog({ namespace, name: pod.metadata!.name!, container: 'load' }),
        ),
      ),
    );
  }

  /**
   * Watches one object by name from `resourceVersion` until `judge` says done (or returns an
   * error). A watch the server closes is resumed from the last event's resourceVersion; a 410
   * (the version is too old) resumes from now.
   */
  private async watchUntil<T extends { metadata?: { resourceVersion?: string } }>(
    path: string,
    name: string,
    resourceVersion: string,
    options: WaitOptions,
    judge: (object: T) => 'done' | string | KittError,
  ): Promise<void> {
    const deadline = AbortSignal.timeout(options.timeoutMs);
    const stop = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
    let from = resourceVersion;
    let last = 'no event yet';
    while (!stop.aborted) {
      const outcome = await this.watchOnce<T>(path, name, from, stop, (object) => {
        from = object.metadata?.resourceVersion ?? from;
        const verdict = judge(object);
        if (typeof verdict === 'string' && verdict !== 'done') last = verdict;
        return verdict;
      });
      if (outcome === 'done') return;
      if (outcome === 'gone') from = '';
    }
    if (options.signal?.aborted) throw new KittError('INTERRUPTED', `stopped while waiting for ${name}`);
    throw new KittError(
      'ENGINE_NOT_READY',
      `${name} was not done within ${Math.round(options.timeoutMs / 1000)} s (last: ${last})`,
      {
        hint: `kubectl describe ${path.includes('/jobs') ? 'job' : 'pod'} ${name}`,
      },
    );
  }

  private watchOnce<T>(
    path: string,
    name: string,
    resourceVersion: string,
    stop: AbortSignal,
    judge: (object: T) => 'done' | string | KittError,
  ): Promise<'done' | 'closed' | 'gone'> {
    return new Promise((resolve, reject) => {
      let controller: AbortController | undefined;
      let settled = false;
      // settle before aborting: the abort makes the library report the closed stream at once
      const finish = (settle: () => void) => {
        if (settled) return;
        settled = true;
        stop.removeEventListener('abort', onAbort);
        settle();
        controller?.abort();
      };
      const onAbort = () => finish(() => resolve('closed'));
      stop.addEventListener('abort', onAbort, { once: true });
      const query = {
        fieldSelector: `metadata.name=${name}`,
        ...(resourceVersion === '' ? {} : { resourceVersion }),
        allowWatchBookmarks: true,
      };
      const onEvent = (type: string, object: T) => {
        if (type === 'BOOKMARK') return void judge(object);
        if (type === 'ERROR') {
          const status = object as { message?: string; code?: number };
          return finish(() => (status.code === 410 ? resolve('gone') : reject(this.watchError(status.message))));
        }
        if (type === 'DELETED') {
          const gone = new KittError('ENGINE_FAILED', `${name} was deleted while kitt waited for it`, {
            hint: 'someone or something deleted it: kubectl get events',
          });
          return finish(() => reject(gone));
        }
        const verdict = judge(object);
        if (verdict instanceof KittError) finish(() => reject(verdict));
        else if (verdict === 'done') finish(() => resolve('done'));
      };
      new Watch(this.config)
        .watch(path, query, onEvent, (error: unknown) =>
          finish(() => (error ? reject(this.watchError(String(error))) : resolve('closed'))),
        )
        .then(
          (c) => {
            controller = c;
            if (settled) c.abort();
          },
          (error: unknown) => finish(() => reject(this.watchError(String(error)))),
        );
    });
  }

  /**
   * Deletes the run's root with propagationPolicy Foreground: the ConfigMap stays (with a
   * deletionTimestamp) until the garbage collector has deleted every object that names it as
   * owner (blockOwnerDeletion), so nothing kitt created outlives it. Idempotent: a root already
   * gone (404) is not an error.
   */
  async deleteRun(namespace: string, root: string): Promise<void> {
    try {
      await this.core.deleteNamespacedConfigMap({ name: root, namespace, propagationPolicy: 'Foreground' });
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return;
      throw this.apiError('delete the run ConfigMap', error);
    }
  }

  /** Runs kitt created (their roots, labelled kitt.managed=true), in one namespace. */
  async listManaged(namespace: string): Promise<ManagedRun[]> {
    const list = await this.call('list kitt runs', () =>
      this.core.listNamespacedConfigMap({ namespace, labelSelector: MANAGED_SELECTOR }),
    );
    return list.items.map((item) => ({
      namespace,
      root: item.metadata!.name!,
      runId: item.metadata?.labels?.[LABELS.runId],
      owner: item.metadata?.annotations?.[LABELS.owner],
    }));
  }

  /**
   * Deletes the runs whose kitt is gone: an owner on this host whose process ended (another
   * host's kitt cannot be seen, so it is left alone), as runtime/reapOrphans does for containers.
   */
  async reapLeftovers(
    namespace: string,
    alive: (owner: OwnerIdentity) => boolean = (owner) => isOwnerAlive(owner),
  ): Promise<ManagedRun[]> {
    const reaped: ManagedRun[] = [];
    for (const run of await this.listManaged(namespace)) {
      const owner = parseOwner(run.owner);
      if (!owner || alive(owner)) continue;
      await this.deleteRun(namespace, run.root);
      reaped.push(run);
    }
    return reaped;
  }

  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw this.apiError(what, error);
    }
  }

  /** The API server's Status as one line: its message, and the fix its reason points to. */
  private apiError(what: string, error: unknown): KittError {
    if (error instanceof ApiException) {
      const status = parseStatus(error.body);
      const message = `could not ${what}: ${status?.message ?? `HTTP ${error.code}`}`;
      if (status?.reason === 'AlreadyExists') {
        return new KittError('USAGE', message, {
          hint: 'a run of this id exists: kitt deletes its own; kubectl delete configmap NAME --cascade=foreground',
        });
      }
      if (error.code === 401 || error.code === 403) {
        return new KittError('RUNTIME_UNREACHABLE', message, {
          hint: "check the kubeconfig's user and its RBAC rights in the namespace",
        });
      }
      if (status?.reason === 'NotFound') return new KittError('USAGE', message, { hint: 'check --namespace' });
      return new KittError('RUNTIME_UNREACHABLE', message, {
        hint: `the API server at ${this.describeEndpoint()} refused it`,
      });
    }
    return this.watchError(`could not ${what}: ${(error as Error)?.message ?? String(error)}`);
  }

  private watchError(message: string | undefined): KittError {
    return new KittError('RUNTIME_UNREACHABLE', message ?? 'the watch failed', {
      hint: `is the cluster at ${this.describeEndpoint()} reachable? kubectl cluster-info`,
    });
  }
}

function parseStatus(body: unknown): { message?: string; reason?: string } | undefined {
  try {
    const status = typeof body === 'string' ? JSON.parse(body) : body;
    return status && typeof status === 'object' ? (status as { message?: string; reason?: string }) : undefined;
  } catch {
    return undefined;
  }
}
