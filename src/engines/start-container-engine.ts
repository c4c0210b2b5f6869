import { KittError } from '../core/errors.js';
import type { ContainerRuntime } from '../runtime/container-runtime.js';
import { reapOrphans } from '../runtime/reap-orphans.js';
import { engineDefinition } from './catalog.js';
import { defaultOwner } from './container-plan.js';
import type { EngineRequest, RunningEngine } from './engine.js';
import type { DetectedModel, HostPlatform } from './engine-definition.js';
import { resolveEngineRequest } from './engine-settings.js';
import { detectOwnContainerId, translateToHostPath } from './host-path.js';
import { assertPreflight, choosePort, effectiveGpus, imageFor, preflight } from './preflight.js';
import { hostArch } from './select-image.js';
import { awaitReadyEngine, type LifecycleStartDeps, type StartedHandle } from './started-engine.js';

/** What starting a container engine needs; everything is passed in, nothing is global. */
export interface ContainerEngineDeps extends LifecycleStartDeps {
  readonly runtime: ContainerRuntime;
  readonly host?: HostPlatform;
  readonly owner?: string;
  /** --pull */
  readonly pull?: boolean;
  /** Remove containers left by crashed kitt runs before starting (default true). */
  readonly reapOrphans?: boolean;
  /** kitt's own container id when it runs in one; default: read from /proc/self/mountinfo. */
  readonly ownContainerId?: () => Promise<string | undefined>;
}

/**
 * The model path the Docker daemon must bind. When kitt runs in a container, the daemon (a sibling's
 * parent) resolves bind sources on the host, so the path is translated through kitt's own mounts.
 */
export async function hostModelPath(
  path: string,
  runtime: ContainerRuntime,
  ownContainerId: () => Promise<string | undefined> = detectOwnContainerId,
): Promise<string> {
  const id = await ownContainerId();
  if (id === undefined) return path;
  const self = await runtime.inspect({ id, name: id });
  const binds = self.mounts.filter((m) => m.type === 'bind').map((m) => ({ source: m.source, destination: m.target }));
  return translateToHostPath(path, binds);
}

/**
 * Starts an engine as a sibling container: reap orphans, preflight, create and start with host
 * networking, GPUs, the model read-only and hard limits, wait until ready (failing early when the
 * container exits), and register the model where the engine needs it. Any failure after the
 * container exists stops and removes it before the error is thrown.
 */
export async function startContainerEngine(request: EngineRequest, deps: ContainerEngineDeps): Promise<RunningEngine> {
  const definition = deps.definition ?? engineDefinition(request.engine);
  const { runtime, progress, signal } = deps;
  const resolved = resolveEngineRequest(request, deps.settings, deps.profile);
  const gpus = effectiveGpus(resolved.request, definition);
  const port = await choosePort(resolved.request.port, definition.defaultPort, deps.preflight?.isPortFree);
  const req: EngineRequest = {
    ...resolved.request,
    port,
    limits: { ...resolved.request.limits, ...(gpus === undefined ? {} : { gpus }) },
  };
  const host = deps.host ?? { arch: hostArch() };

  if (deps.reapOrphans ?? true) {
    const { removed } = await reapOrphans(runtime);
    if (removed.length > 0) progress.info(`removed ${removed.length} container(s) left by a crashed kitt run`);
  }
  progress.phase(`checking ${definition.name}`);
  const checks = await preflight(req, {
    ...deps.preflight,
    runtime,
    host,
    definition,
    pull: deps.pull ?? false,
    imageOverride: resolved.imageOverride,
  });
  progress.end(checks.every((c) => c.ok) ? 'ok' : 'failed');
  assertPreflight(checks);
  const image = imageFor(req, definition, host, resolved.imageOverride);
  if ('ok' in image)
    throw new KittError('IMAGE_MISSING', image.detail, { ...(image.hint ? { hint: image.hint } : {}) });
  const check = await definition.checkModel(req.modelPath);
  if (!check.ok) throw new KittError('MODEL_FORMAT_MISMATCH', check.message, { hint: check.hint });
  const model: DetectedModel = check.model;

  const spec = definition.buildContainerSpec(req, {
    hostModelPath: await hostModelPath(model.servePath, runtime, deps.ownContainerId),
    model,
    port,
    image,
    owner: deps.owner ?? defaultOwner(),
    env: resolved.env,
  });
  progress.phase(`starting ${definition.name} (${image.image})`);
  const ref = await runtime.run(spec);
  const handle: StartedHandle = {
    id: ref.id,
    waited: runtime.wait(ref).catch(() => undefined),
    logsTail: (lines) => runtime.logsTail(ref, lines),
    stopAndRemove: async (graceMs) => {
      const exit = await runtime.stop(ref, graceMs === undefined ? {} : { graceMs }).catch(() => undefined);
      await runtime.remove(ref);
      return exit;
    },
  };
  return awaitReadyEngine({
    definition,
    request: req,
    mode: 'docker',
    handle,
    baseUrl: `http://127.0.0.1:${port}`,
    model,
    progress,
    signal,
    settings: deps.settings,
    readinessTimeoutMs: deps.readinessTimeoutMs,
    readiness: deps.readiness,
  });
}
