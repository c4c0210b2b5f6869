import type { ErrorCode } from '../core/errors.js';
import type { ContainerSpec } from '../runtime/container-runtime.js';
import { ENGINE_CATALOG } from './catalog.js';
import { containerModelPath, toContainerSpec } from './container-plan.js';
import type { EngineMode, EngineRequest, ResourceLimits } from './engine.js';
import type {
  DetectedModel,
  EngineDefinition,
  HostPlatform,
  ModelCheck,
  NativeCommand,
  SelectedImage,
} from './engine-definition.js';
import { type EngineSettings, resolveEngineRequest } from './engine-settings.js';
import { containerCudaVisibleDevices, nativeCudaVisibleDevices, requiredGpuCount } from './gpu-selection.js';
import { selectImage } from './select-image.js';

/** One check of a launch: passed, or failed with one line and the fix. */
export interface PreflightCheck {
  readonly name: 'mode' | 'docker' | 'image' | 'executable' | 'model' | 'port' | 'gpu';
  readonly ok: boolean;
  /** What was checked and found ("image kitt/llama-server:cpu present"). */
  readonly detail: string;
  readonly hint?: string;
  /** The error code a failure raises. */
  readonly code?: ErrorCode;
}

/** What the world looked like when the launch was planned; gathered once by gatherLaunchFacts. */
/** Where engines listen unless told otherwise: kitt's clients are on this host. */
export const LOOPBACK = '127.0.0.1';

export interface LaunchFacts {
  readonly definition: EngineDefinition;
  readonly host: HostPlatform;
  /** The model as found on disk; undefined when no model was named (`kitt engines check` without -m). */
  readonly model: ModelCheck | undefined;
  /** A model that has the right format but does not load (a GGUF with a broken header). */
  readonly modelProblem?: { readonly message: string; readonly hint?: string | undefined };
  /** The model's path as the Docker daemon's host sees it (translated when kitt runs in a container). */
  readonly hostModelPath?: string;
  /** The port chosen for the engine (0: the engine picks one and reports it). */
  readonly port: number;
  /** Where the engine listens (default {@link LOOPBACK}). */
  readonly bindAddress?: string;
  /** NVIDIA GPUs on the host. */
  readonly gpuCount: number;
  /** CPUs kitt may use (for thread defaults). */
  readonly cpuCount: number;
  /** Who starts it (`kitt.owner` label). */
  readonly owner: string;
  /** Random tail that keeps container names unique. */
  readonly nameSuffix: string;
  readonly settings?: EngineSettings | undefined;
  readonly profile?: string | undefined;
  /** Readiness budget given by the caller, before the config's and the engine's. */
  readonly readinessTimeoutMs?: number | undefined;
}

/**
 * Everything a launch will do, decided once: preflight checks it, start applies it. `checks`
 * are the problems (and passes) visible without touching anything; the parts that problems block
 * are left out.
 */
export interface LaunchPlan {
  readonly definition: EngineDefinition;
  readonly mode: EngineMode;
  /** The request with config, profile and the settled GPUs folded in. */
  readonly request: EngineRequest;
  readonly port: number;
  readonly gpus: ResourceLimits['gpus'];
  readonly limits: ResourceLimits;
  readonly env: Readonly<Record<string, string>>;
  readonly model?: DetectedModel;
  /** The model's path as the engine sees it (in the container for docker mode). */
  readonly modelPathInEngine?: string;
  readonly image?: SelectedImage;
  /** Docker mode: the container to create. */
  readonly container?: ContainerSpec;
  /** Native and embedded modes: the process to start. */
  readonly command?: NativeCommand;
  readonly readiness: { readonly path: string; readonly timeoutMs: number; readonly bodyMatch?: RegExp };
  /** The model name requests carry, unless the engine names it after start (prepareModel). */
  readonly servedModel?: string;
  readonly checks: readonly PreflightCheck[];
}

/**
 * An engine given --cpus that names no threads gets ⌊cpus⌋ (at least 1). Engines default to one
 * thread per host core; in a container the extra threads wait for each other at every barrier
 * while the quota runs out, so the engine is throttled and its CPU per token follows the host's
 * load (llama.cpp with two threads under --cpus 1 read 74–101 % of its limit second to second at
 * one paced rate); a native process, whose --cpus is the budget it is measured against and not
 * enforced, would spend past it. The embedded engine sizes its own threads.
 */
function withQuotaThreads(request: EngineRequest): EngineRequest {
  if (request.threads !== undefined || request.limits.cpus === undefined || request.mode === 'embedded') return request;
  return { ...request, threads: Math.max(1, Math.floor(request.limits.cpus)) };
}

/**
 * Plans one engine launch from the request and the facts gathered for it: port, GPUs, image, the
 * model's mount and in-engine path, the container or command line, readiness and the served
 * model name. Pure: the same request and facts always give the same plan.
 */
export function planLaunch(request: EngineRequest, facts: LaunchFacts): LaunchPlan {
  const { definition } = facts;
  const resolved = resolveEngineRequest(request, facts.settings, facts.profile);
  const gpus = effectiveGpus(resolved.request, definition);
  const limits: ResourceLimits = { ...resolved.request.limits, ...(gpus === undefined ? {} : { gpus }) };
  const planned: EngineRequest = { ...withQuotaThreads(resolved.request), port: facts.port, limits };
  const checks: PreflightCheck[] = [];
  const base = {
    definition,
    mode: request.mode,
    request: planned,
    port: facts.port,
    gpus,
    limits,
    env: resolved.env,
    readiness: {
      path: definition.readiness.httpPath,
      timeoutMs:
        facts.readinessTimeoutMs ??
        facts.settings?.startupTimeoutMs?.[definition.name] ??
        definition.readiness.timeoutMs,
      ...(definition.readiness.bodyMatch ? { bodyMatch: definition.readiness.bodyMatch } : {}),
    },
  };
  if (!definition.modes.includes(request.mode)) {
    checks.push({
      name: 'mode',
      ok: false,
      detail: `${definition.name} does not run in ${request.mode} mode`,
      hint: `use --mode ${definition.modes.join(' or --mode ')}`,
      code: 'USAGE',
    });
    return { ...base, checks };
  }
  const model = modelOf(facts, checks);
  const gpu = gpuCheck(definition, gpus, facts.gpuCount);
  if (gpu) checks.push(gpu);
  const served = model ? { model, servedModel: definition.servedModelName(model) } : {};

  if (request.mode === 'docker') return planContainer({ ...base, ...served, checks }, facts, resolved.imageOverride);

  if (resolved.imageOverride !== undefined) {
    // an image only means something to a container: say so rather than run without it
    checks.push({
      name: 'image',
      ok: false,
      detail: `an image (${resolved.imageOverride}) was given, but ${request.mode} mode runs no container`,
      hint: `use --mode docker, or drop --image (and engines.${definition.name}.image / the profile's image)`,
      code: 'USAGE',
    });
  }
  if (!model || !definition.hostCommand) return { ...base, ...served, checks };
  const cuda = nativeCudaVisibleDevices(gpus);
  const env = { ...resolved.env, ...(cuda === undefined ? {} : { CUDA_VISIBLE_DEVICES: cuda }) };
  const command = definition.hostCommand({
    request: planned,
    port: facts.port,
    bindAddress: facts.bindAddress ?? LOOPBACK,
    model,
    modelPath: model.servePath,
    env,
    cpuCount: facts.cpuCount,
  });
  return { ...base, env, ...served, modelPathInEngine: model.servePath, command, checks };
}

/** The docker part of a plan: the image for this host, the model's mount and the container spec. */
function planContainer(
  base: Omit<LaunchPlan, 'checks'> & { checks: PreflightCheck[] },
  facts: LaunchFacts,
  imageOverride: string | undefined,
): LaunchPlan {
  const { definition, gpus, model, checks } = base;
  const image = selectImage(definition.images, facts.host, { wantsGpu: gpus !== undefined, override: imageOverride });
  if (!image) {
    checks.push({
      name: 'image',
      ok: false,
      detail: `no ${definition.name} image is known for ${facts.host.arch}${gpus ? ' with GPUs' : ''}`,
      hint: `pass --image or set engines.${definition.name}.image in the config`,
      code: 'IMAGE_MISSING',
    });
  }
  if (!model || !image || !definition.containerPlan) return { ...base, ...(image ? { image } : {}) };
  const modelPathInEngine = containerModelPath(model);
  const launch = {
    request: base.request,
    port: base.port,
    bindAddress: facts.bindAddress ?? LOOPBACK,
    model,
    modelPath: modelPathInEngine,
    env: base.env,
  };
  const container = toContainerSpec(
    {
      engine: definition.name,
      runId: base.request.runId,
      nameSuffix: facts.nameSuffix,
      image,
      hostModelPath: facts.hostModelPath ?? model.servePath,
      modelPathInContainer: modelPathInEngine,
      limits: base.limits,
      owner: facts.owner,
      env: base.env,
      cudaVisibleDevices: containerCudaVisibleDevices(gpus),
    },
    definition.containerPlan(launch),
  );
  return { ...base, image, modelPathInEngine, container };
}

/** GPUs a launch uses: those asked for, or all of them for engines that need one. */
function effectiveGpus(request: EngineRequest, definition: EngineDefinition): ResourceLimits['gpus'] {
  return request.limits.gpus ?? (definition.requiresGpu ? 'all' : undefined);
}

function modelOf(facts: LaunchFacts, checks: PreflightCheck[]): DetectedModel | undefined {
  const check = facts.model;
  if (check === undefined) return undefined;
  if (!check.ok) {
    const code: ErrorCode = check.message.endsWith('does not exist')
      ? 'MODEL_NOT_FOUND'
      : / is not a GGUF file/.test(check.message)
        ? 'MODEL_NOT_GGUF'
        : 'MODEL_FORMAT_MISMATCH';
    checks.push({ name: 'model', ok: false, detail: check.message, hint: check.hint, code });
    return undefined;
  }
  if (facts.modelProblem) {
    const { message, hint } = facts.modelProblem;
    checks.push({ name: 'model', ok: false, detail: message, code: 'MODEL_NOT_GGUF', ...(hint ? { hint } : {}) });
    return undefined;
  }
  checks.push({ name: 'model', ok: true, detail: `${check.model.format} model ${check.model.servePath}` });
  return check.model;
}

function gpuCheck(
  definition: EngineDefinition,
  gpus: ResourceLimits['gpus'],
  present: number,
): PreflightCheck | undefined {
  const needed = requiredGpuCount(gpus);
  if (needed === 0) return undefined;
  if (present >= needed) {
    return {
      name: 'gpu',
      ok: true,
      detail: `${present} GPU(s) present, using ${gpus === 'all' ? 'all' : gpus?.join(',')}`,
    };
  }
  return {
    name: 'gpu',
    ok: false,
    detail:
      present === 0
        ? `${definition.name} needs an NVIDIA GPU and none was found`
        : `GPU index ${needed - 1} asked for but only ${present} GPU(s) present`,
    hint:
      present === 0
        ? `run on a GPU host, or use -e ${cpuEngines().join(' / -e ')} on CPU`
        : `pick --gpus between 0 and ${present - 1}`,
    code: 'GPU_UNAVAILABLE',
  };
}

function cpuEngines(): string[] {
  return Object.values<EngineDefinition>(ENGINE_CATALOG)
    .filter((d) => !d.requiresGpu)
    .map((d) => d.name);
}
