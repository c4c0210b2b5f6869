import { KittError } from '../core/errors.js';
import type { Progress } from '../core/progress.js';
import { formatBytes } from '../core/units.js';
import type { ContainerRef, ContainerRuntime, ExitInfo } from '../runtime/container-runtime.js';
import { reapOrphans } from '../runtime/reap-orphans.js';
import { engineDefinition } from './catalog.js';
import { defaultOwner } from './container-plan.js';
import type { EngineExit, EngineRequest, RunningEngine, StoppedEngine } from './engine.js';
import type { DetectedModel, EngineDefinition, HostPlatform } from './engine-definition.js';
import { type EngineSettings, resolveEngineRequest } from './engine-settings.js';
import { detectOwnContainerId, translateToHostPath } from './host-path.js';
import { assertPreflight, effectiveGpus, imageFor, type PreflightDeps, preflight } from './preflight.js';
import { hostArch } from './select-image.js';
import { type ReadinessWaiter, waitForEngineReady } from './wait-for-engine.js';

/** What starting a container engine needs; everything is passed in, nothing is global. */
export interface ContainerEngineDeps {
  readonly runtime: ContainerRuntime;
  readonly progress: Progress;
  /** Aborts startup (SIGINT): the container is stopped and removed before the error surfaces. */
  readonly signal?: AbortSignal | undefined;
  readonly settings?: EngineSettings;
  readonly profile?: string | undefined;
  readonly host?: HostPlatform;
  readonly owner?: string;
  /** --pull */
  readonly pull?: boolean;
  /** Overrides the engine's readiness budget. */
  readonly readinessTimeoutMs?: number;
  /** Extra preflight inputs (GPU counter, GGUF validator). */
  readonly preflight?: Pick<PreflightDeps, 'countGpus' | 'isPortFree' | 'validateModel'>;
  /** Remove containers left by crashed kitt runs before starting (default true). */
  readonly reapOrphans?: boolean;
  /** Readiness strategy; the default polls the engine's health path with early exit detection. */
  readonly waitReady?: ReadinessWaiter;
  /** The engine definition to use instead of the catalog's (tests drive the lifecycle with a tiny image). */
  readonly definition?: EngineDefinition;
  /** kitt's own container id when it runs in one; default: read from /proc/self/mountinfo. */
  readonly ownContainerId?: () => Promise<string | undefined>;
}

/** How many log lines an error message carries. */
const LOG_TAIL_LINES = 20;

export function toEngineExit(exit: ExitInfo): EngineExit {
  return { exitCode: exit.exitCode, signal: exit.signal, oomKilled: exit.oomKilled, reason: exit.reason };
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

/** The error a failed start turns into: OOM and early exits carry their reason and the log tail. */
export function startFailure(
  engine: string,
  cause: unknown,
  exit: ExitInfo | undefined,
  logTail: string,
  memoryBytes: number | undefined,
): KittError {
  const tail = logTail.trim() === '' ? '' : `\n--- last log lines ---\n${logTail.trimEnd()}`;
  if (exit?.oomKilled) {
    const limit = memoryBytes === undefined ? 'its memory limit' : `the ${formatBytes(memoryBytes)} memory limit`;
    return new KittError('OOM_KILLED', `${engine} was OOM-killed at ${limit} while starting${tail}`, {
      hint: 'raise --memory or use a smaller model',
      details: { exit, memoryBytes },
      cause,
    });
  }
  if (exit) {
    return new KittError('ENGINE_EXITED', `${engine} exited before it was ready: ${exit.reason}${tail}`, {
      hint: 'its log lines name the cause: a bad --engine-arg, an unreadable model',
      details: { exit },
      cause,
    });
  }
  if (cause instanceof KittError && cause.code !== 'ENGINE_NOT_READY') return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  return new KittError('ENGINE_NOT_READY', `${engine} did not become ready: ${message}${tail}`, {
    hint: `give it longer (engines.${engine}.startupTimeout in the config) or read its log lines`,
    cause,
  });
}

/** A RunningEngine over a started container: stop is idempotent and removes the container. */
function runningContainer(
  definition: EngineDefinition,
  request: EngineRequest,
  runtime: ContainerRuntime,
  ref: ContainerRef,
  waited: Promise<ExitInfo | undefined>,
  baseUrl: string,
  servedModel: string,
): RunningEngine {
  let stopping: Promise<StoppedEngine> | undefined;
  const exited = new Promise<EngineExit>((resolve) => {
    void waited.then((exit) => {
      if (exit && !stopping) resolve(toEngineExit(exit));
    });
  });
  const stop = (): Promise<StoppedEngine> => {
    stopping ??= (async () => {
      const exit = await runtime.stop(ref).catch(() => undefined);
      await runtime.remove(ref);
      const ended = exit ?? (await waited) ?? { exitCode: null, signal: null, oomKilled: false, reason: 'removed' };
      return { name: definition.name, exit: toEngineExit(ended) };
    })();
    return stopping;
  };
  return {
    name: definition.name,
    mode: 'docker',
    api: definition.api,
    baseUrl,
    servedModel,
    handle: ref.id,
    limits: request.limits,
    exited,
    logTail: (lines = LOG_TAIL_LINES) => runtime.logsTail(ref, lines),
    stop,
    [Symbol.asyncDispose]: async () => {
      await stop();
    },
  };
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
  const req: EngineRequest = {
    ...resolved.request,
    limits: { ...resolved.request.limits, ...(gpus === undefined ? {} : { gpus }) },
  };
  const host = deps.host ?? { arch: hostArch() };
  const port = req.port ?? definition.defaultPort;

  if (deps.reapOrphans ?? true) {
    const { removed } = await reapOrphans(runtime);
    if (removed.length > 0) progress.info(`removed ${removed.length} container(s) left by a crashed kitt run`);
  }
  progress.phase(`checking ${definition.name}`);
  const checks = await preflight(req, {
    ...deps.preflight,
    runtime,
    host,
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
  const waited = runtime.wait(ref).catch(() => undefined);
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    const budgetMs =
      deps.readinessTimeoutMs ?? deps.settings?.startupTimeoutMs?.[definition.name] ?? definition.readiness.timeoutMs;
    await (deps.waitReady ?? waitForEngineReady)({
      url: `${baseUrl}${definition.readiness.httpPath}`,
      exited: waited,
      timeoutMs: budgetMs,
      signal,
    });
    const servedModel = definition.prepareModel
      ? await definition.prepareModel({ baseUrl, model, progress, signal })
      : definition.servedModelName(model);
    progress.end(`ready at ${baseUrl}`);
    return runningContainer(definition, req, runtime, ref, waited, baseUrl, servedModel);
  } catch (error) {
    progress.end('failed');
    const settled = await Promise.race([waited, new Promise<undefined>((r) => setTimeout(r, 1_000, undefined))]);
    const tail = await runtime.logsTail(ref, LOG_TAIL_LINES).catch(() => '');
    await runtime.stop(ref, { graceMs: 2_000 }).catch(() => undefined);
    await runtime.remove(ref).catch(() => undefined);
    if (signal?.aborted) throw signal.reason ?? error;
    throw startFailure(definition.name, error, settled, tail, req.limits.memoryBytes);
  }
}
