import type { KittConfig } from '../../config/config-schema.js';
import { flagValues } from '../../core/flag-values.js';
import { OptionIssues } from '../../core/option-issues.js';
import { ENGINE_CATALOG, engineDefinition } from '../../engines/catalog.js';
import { defaultOwner } from '../../engines/container-plan.js';
import type { EngineRequest } from '../../engines/engine.js';
import type { EngineDefinition } from '../../engines/engine-definition.js';
import { type LaunchFacts, planLaunch } from '../../engines/launch-plan.js';
import type { LoadSpec } from '../../load/load-spec.js';
import { shardSpec } from '../../load/run-sharded.js';
import { buildManifests, type RunManifests } from '../../runtime/kubernetes/build-manifests.js';
import type { KubernetesRunSpec, ModelSource } from '../../runtime/kubernetes/kubernetes-spec.js';
import { engineSettingsFrom } from '../shared/start-engine.js';
import { planRun, type RunFlags } from './run-plan.js';

/** The flags `kitt run --runtime kubernetes` adds, as commander hands them over. */
export interface KubernetesFlags {
  readonly runtime?: string;
  readonly namespace?: string;
  readonly modelPvc?: string;
  readonly kittImage?: string;
}

/** Where kitt runs its engine: a local container or process (the engine's modes), or a Kubernetes cluster. */
export const RUNTIMES = ['local', 'kubernetes'] as const;

/** The image the Dockerfile builds and docker-compose tags. */
export const DEFAULT_KITT_IMAGE = 'kitt:local';
/** Each load worker's Guaranteed share: one core and 1 GiB hold the client of one worker thread. */
const WORKER_CPUS = 1;
const WORKER_MEMORY_BYTES = 2 ** 30;
/** The most workers one Job gets: beyond this the API server's log reads, not the load, dominate. */
const MAX_WORKERS = 64;

/**
 * Flags of a local run that a cluster run cannot honour yet: SLO, repeats and the live Prometheus endpoint are judged or served by the
 * local run's use case, which the merged workers do not go through.
 */
const UNSUPPORTED: ReadonlyArray<readonly [string, 'slo' | 'repeat' | 'prometheusPort']> = [
  ['--slo', 'slo'],
  ['--repeat', 'repeat'],
  ['--prometheus-port', 'prometheusPort'],
];

/** A planned Kubernetes run: the spec and its manifests (root uid unassigned until created). */
export interface KubernetesRunPlan {
  readonly spec: KubernetesRunSpec;
  readonly manifests: RunManifests;
}

/**
 * Plans `kitt run --runtime kubernetes`: the run's own plan (every flag checked as for a local run),
 * then the engine's launch planned as a container — image, arguments, limits — for a cluster rather
 * than this host, the model on a claim or a node path, and the load split over --workers Pods.
 * Every problem at once, as one USAGE error.
 */
export async function planKubernetesRun(
  flags: RunFlags & KubernetesFlags,
  config: KittConfig,
  context: { readonly runId: string; readonly env?: NodeJS.ProcessEnv; readonly owner?: string },
): Promise<KubernetesRunPlan> {
  const issues = new OptionIssues();
  const read = flagValues(issues);
  const workers = read.positiveInt('--workers', flags.workers, '4') ?? 1;
  if (workers > MAX_WORKERS)
    issues.add(`--workers ${workers} is more than ${MAX_WORKERS}`, `use --workers ${MAX_WORKERS} or fewer`);
  if (flags.mode !== undefined)
    issues.add(
      `--mode ${flags.mode} chooses how kitt hosts an engine here: a cluster runs it as a Pod`,
      'drop --mode with --runtime kubernetes',
    );
  if (flags.target !== undefined)
    issues.add(
      '--target measures a server that runs already: nothing to start on Kubernetes',
      'drop --runtime kubernetes, or drop --target',
    );
  for (const [flag, given] of UNSUPPORTED.map(([flag, key]) => [flag, flags[key]] as const)) {
    if (given !== undefined)
      issues.add(
        `${flag} is not available with --runtime kubernetes yet`,
        `drop ${flag}, or run without --runtime kubernetes`,
      );
  }
  // --workers names the Job's Pods here; each Pod's load runs on one thread of its own
  const run = await planRun({ ...flags, workers: undefined, mode: undefined }, config, context).catch(
    (error: unknown) => {
      issues.addError(error);
      return undefined;
    },
  );
  if (!run) issues.throwIfAny();
  const plan = planEngine(run!.engine, flags, config, context, issues);
  if (run!.load.prompts?.kind === 'dataset') {
    issues.add(
      "a dataset is a file on this host, not in the load workers' Pods",
      'use synthetic prompts (--prompt-tokens, --output-tokens) with --runtime kubernetes',
    );
  }
  if (run!.load.kind === 'synchronous' && workers > 1) {
    issues.add(
      '--load synchronous sends one request at a time: it does not split over workers',
      'use --workers 1, or --load fixed-concurrency',
    );
  }
  issues.throwIfAny();
  const spec: KubernetesRunSpec = {
    ...plan!,
    load: {
      image: flags.kittImage ?? DEFAULT_KITT_IMAGE,
      workers,
      workerLoads: Array.from({ length: workers }, (_, index) => JSON.stringify(workerLoad(run!.load, index, workers))),
      extraArgs: [],
      cpus: WORKER_CPUS,
      memoryBytes: WORKER_MEMORY_BYTES,
    },
  };
  return { spec, manifests: buildManifests(spec) };
}

/** The engine's container, planned by the one launch planner with facts that describe a cluster. */
function planEngine(
  request: EngineRequest,
  flags: KubernetesFlags,
  config: KittConfig,
  context: { readonly runId: string; readonly owner?: string },
  issues: OptionIssues,
): Omit<KubernetesRunSpec, 'load'> | undefined {
  const definition = engineDefinition(request.engine);
  if (!definition.containerPlan) {
    issues.add(
      `${definition.title} runs no container, so it cannot run on Kubernetes`,
      `use -e ${containerEngines().join(' / -e ')}`,
    );
    return undefined;
  }
  if (request.modelPath === '') {
    issues.add(
      '--runtime kubernetes needs -m PATH: the model is not copied into the cluster',
      'give -m with the path inside --model-pvc NAME, or a path on the nodes',
    );
  }
  if (request.limits.cpus === undefined || request.limits.memoryBytes === undefined) {
    issues.add(
      '--runtime kubernetes needs --cpus and --memory: the engine gets them as requests = limits (Guaranteed QoS)',
      'e.g. --cpus 4 --memory 16g',
    );
  }
  const facts = clusterFacts(definition, request, config, context.owner ?? defaultOwner());
  const plan = planLaunch({ ...request, mode: 'docker' }, facts);
  for (const check of plan.checks)
    if (!check.ok) issues.add(check.detail, check.hint ?? 'see kitt engines check', check.code);
  if (!plan.container || request.modelPath === '') return undefined;
  return {
    namespace: flags.namespace ?? 'default',
    runId: request.runId,
    engine: definition.name,
    owner: facts.owner,
    container: plan.container,
    port: plan.port,
    readiness: { path: plan.readiness.path, timeoutMs: plan.readiness.timeoutMs },
    model: modelSource(request.modelPath, definition, flags.modelPvc),
  };
}

/**
 * Facts about a cluster rather than this host: the model is on a claim or a node, not here, so it is
 * taken to be what the engine loads (its first format, file or folder as the engine expects); the
 * scheduler, not a local count, decides whether GPUs exist; the engine's threads follow its CPU limit.
 */
function clusterFacts(
  definition: EngineDefinition,
  request: EngineRequest,
  config: KittConfig,
  owner: string,
): LaunchFacts {
  return {
    definition,
    host: { arch: 'amd64' },
    model: {
      ok: true,
      model: { format: definition.formats[0]!, servePath: request.modelPath, kind: definition.modelKind },
    },
    hostModelPath: request.modelPath,
    port: request.port ?? (definition.defaultPort || 8000),
    bindAddress: ANY_ADDRESS,
    gpuCount: Number.MAX_SAFE_INTEGER,
    cpuCount: Math.max(1, Math.floor(request.limits.cpus ?? 1)),
    owner,
    nameSuffix: 'k8s',
    settings: engineSettingsFrom(config),
    profile: config.run.profile,
  };
}

/** In a Pod the kubelet's probes and the Service arrive on the Pod's address, not its loopback. */
const ANY_ADDRESS = '0.0.0.0';

function modelSource(path: string, definition: EngineDefinition, claim: string | undefined): ModelSource {
  const isDirectory = definition.modelKind === 'directory';
  return claim === undefined
    ? { kind: 'host-path', path, isDirectory }
    : { kind: 'pvc', claimName: claim, path, isDirectory };
}

function containerEngines(): string[] {
  return Object.values<EngineDefinition>(ENGINE_CATALOG)
    .filter((d) => d.containerPlan !== undefined)
    .map((d) => d.name);
}

/**
 * Worker `index` of `count`'s share of the load. Closed loops split their users and requests
 * (load/shardSpec, as worker threads do); open loops split the rate: N independent Poisson streams
 * of rate r/N superpose to one of rate r (each worker gets its own seed, or the streams would
 * coincide), while N constant-rate workers give rate r with phases set by when each Pod starts.
 */
export function workerLoad(spec: LoadSpec, index: number, count: number): LoadSpec {
  if (count === 1) return { ...spec, workers: 1 };
  return distinctPrompts(splitLoad(spec, index, count), index);
}

/**
 * Workers with the same salt would send the same prompts and hit each other's prompt cache: each
 * gets the run's salt with its index appended (still one salt per worker to replay it).
 */
function distinctPrompts(spec: LoadSpec, index: number): LoadSpec {
  const prompts = spec.prompts;
  if (prompts?.kind !== 'synthetic' || prompts.salt === undefined) return spec;
  return { ...spec, prompts: { ...prompts, salt: `${prompts.salt}w${index}`.slice(-32) } };
}

function splitLoad(spec: LoadSpec, index: number, count: number): LoadSpec {
  const share = (total: number) => Math.floor(total / count) + (index < total % count ? 1 : 0);
  const split = {
    ...(spec.requests === undefined ? {} : { requests: Math.max(1, share(spec.requests)) }),
    ...('maxInFlight' in spec && spec.maxInFlight !== undefined
      ? { maxInFlight: Math.max(1, Math.ceil(spec.maxInFlight / count)) }
      : {}),
  };
  switch (spec.kind) {
    case 'constant-rate':
      return { ...spec, ...split, rate: spec.rate / count, workers: 1 };
    case 'poisson':
      return { ...spec, ...split, rate: spec.rate / count, seed: spec.seed + index, workers: 1 };
    case 'ramp-rate':
      return { ...spec, ...split, from: spec.from / count, to: spec.to / count, workers: 1 };
    case 'sweep':
      return spec.of === 'fixed-concurrency'
        ? shardSpec(spec, index, count)
        : { ...spec, ...split, levels: spec.levels.map((level) => level / count), seed: spec.seed + index, workers: 1 };
    default:
      return shardSpec(spec, index, count);
  }
}
