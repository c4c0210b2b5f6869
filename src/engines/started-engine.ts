import { KittError } from '../core/errors.js';
import type { Progress } from '../core/progress.js';
import { formatBytes } from '../core/units.js';
import type { ExitInfo } from '../runtime/container-runtime.js';
import type { EngineExit, EngineMode, EngineRequest, RunningEngine, StoppedEngine } from './engine.js';
import type { DetectedModel, EngineDefinition } from './engine-definition.js';
import type { EngineSettings } from './engine-settings.js';
import type { PreflightDeps } from './preflight.js';
import { forHttp, type ReadinessStrategy, waitUntilReady } from './readiness.js';

/** What starting an engine takes in every mode; each mode's deps add their own parts. */
export interface EngineStartDeps {
  readonly progress: Progress;
  /** Aborts startup (SIGINT): whatever was started is stopped and removed before the error surfaces. */
  readonly signal?: AbortSignal | undefined;
  readonly settings?: EngineSettings;
  readonly profile?: string | undefined;
  /** Overrides the engine's readiness budget. */
  readonly readinessTimeoutMs?: number;
  /** Extra preflight inputs (GPU counter, port check, GGUF validator). */
  readonly preflight?: Pick<PreflightDeps, 'countGpus' | 'isPortFree' | 'validateModel'>;
}

/** What the container and native starters take beyond that: their lifecycle is the shared one below. */
export interface LifecycleStartDeps extends EngineStartDeps {
  /** Readiness strategy; default: exactly 200 from the engine's readiness path. */
  readonly readiness?: ReadinessStrategy;
  /** The engine definition to use instead of the catalog's (tests drive the lifecycle with a tiny engine). */
  readonly definition?: EngineDefinition;
}

/** How many log lines an error message carries. */
export const LOG_TAIL_LINES = 20;

/** A started container or process, as the shared lifecycle needs it. */
export interface StartedHandle {
  /** Container id or pid. */
  readonly id: string;
  /** Resolves when it ends (undefined when that could not be observed). */
  readonly waited: Promise<ExitInfo | undefined>;
  logsTail(lines: number): Promise<string>;
  /** Stops it (SIGTERM, then SIGKILL after graceMs) and removes what is left. Safe to call twice. */
  stopAndRemove(graceMs?: number): Promise<ExitInfo | undefined>;
}

export interface AwaitReadyOptions {
  readonly definition: EngineDefinition;
  readonly request: EngineRequest;
  readonly mode: Exclude<EngineMode, 'embedded'>;
  readonly handle: StartedHandle;
  readonly baseUrl: string;
  readonly model: DetectedModel;
  readonly progress: Progress;
  readonly signal?: AbortSignal | undefined;
  readonly settings?: EngineSettings | undefined;
  readonly readinessTimeoutMs?: number | undefined;
  /** Overrides the engine's readiness (default: exactly 200 from its readiness path). */
  readonly readiness?: ReadinessStrategy | undefined;
}

export function toEngineExit(exit: ExitInfo): EngineExit {
  return { exitCode: exit.exitCode, signal: exit.signal, oomKilled: exit.oomKilled, reason: exit.reason };
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
  if (cause instanceof KittError && cause.code === 'ENGINE_NOT_READY') {
    // the readiness wait already carries the log tail; name where the budget is set
    return new KittError('ENGINE_NOT_READY', cause.message, {
      hint: `give it longer (engines.${engine}.startupTimeout in the config) or read its log lines`,
      ...(cause.details ? { details: cause.details } : {}),
      cause,
    });
  }
  if (cause instanceof KittError) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  return new KittError('ENGINE_FAILED', `${engine} failed while starting: ${message}${tail}`, { cause });
}

function runningEngine(options: AwaitReadyOptions, servedModel: string): RunningEngine {
  const { definition, handle } = options;
  let stopping: Promise<StoppedEngine> | undefined;
  const exited = new Promise<EngineExit>((resolve) => {
    void handle.waited.then((exit) => {
      if (exit && !stopping) resolve(toEngineExit(exit));
    });
  });
  const stop = (): Promise<StoppedEngine> => {
    stopping ??= (async () => {
      const exit = (await handle.stopAndRemove()) ?? (await handle.waited);
      const ended = exit ?? { exitCode: null, signal: null, oomKilled: false, reason: 'removed' };
      return { name: definition.name, exit: toEngineExit(ended) };
    })();
    return stopping;
  };
  return {
    name: definition.name,
    mode: options.mode,
    api: definition.api,
    baseUrl: options.baseUrl,
    servedModel,
    handle: handle.id,
    limits: options.request.limits,
    exited,
    logTail: (lines = LOG_TAIL_LINES) => handle.logsTail(lines),
    stop,
    [Symbol.asyncDispose]: async () => {
      await stop();
    },
  };
}

/**
 * The part of every server engine's start after its container or process exists: wait until
 * ready (failing at once when it exits), register the model where the engine needs that, and hand
 * back a RunningEngine whose stop is idempotent. On any failure it is stopped and removed first.
 */
export async function awaitReadyEngine(options: AwaitReadyOptions): Promise<RunningEngine> {
  const { definition, handle, baseUrl, model, progress, signal } = options;
  try {
    await waitUntilReady(options.readiness ?? forHttp(`${baseUrl}${definition.readiness.httpPath}`), {
      timeoutMs:
        options.readinessTimeoutMs ??
        options.settings?.startupTimeoutMs?.[definition.name] ??
        definition.readiness.timeoutMs,
      exited: handle.waited,
      logTail: (lines) => handle.logsTail(lines),
      signal,
      engine: definition.name,
      tailLines: LOG_TAIL_LINES,
    });
    const servedModel = definition.prepareModel
      ? await definition.prepareModel({ baseUrl, model, progress, signal })
      : definition.servedModelName(model);
    progress.end(`ready at ${baseUrl}`);
    return runningEngine(options, servedModel);
  } catch (error) {
    progress.end('failed');
    // an exit that is on its way (the reason readiness failed) is worth a second's wait
    const exit = await Promise.race([handle.waited, new Promise<undefined>((r) => setTimeout(r, 1_000, undefined))]);
    const tail = await handle.logsTail(LOG_TAIL_LINES).catch(() => '');
    await handle.stopAndRemove(2_000).catch(() => undefined);
    if (signal?.aborted) throw signal.reason ?? error;
    throw startFailure(definition.name, error, exit, tail, options.request.limits.memoryBytes);
  }
}
