import { KittError } from '../core/errors.js';
import type { Progress } from '../core/progress.js';
import { formatBytes } from '../core/units.js';
import type { ExitInfo } from '../runtime/container-runtime.js';
import type { EngineExit, RunningEngine, StoppedEngine } from './engine.js';
import type { LaunchPlan } from './launch-plan.js';
import { forHttp, type ReadinessStrategy, waitUntilReady } from './readiness.js';
import type { StartedHandle } from './started-handle.js';

export type { StartedHandle } from './started-handle.js';

/** How many log lines an error message carries. */
export const LOG_TAIL_LINES = 20;

export interface AwaitReadyOptions {
  readonly plan: LaunchPlan;
  readonly handle: StartedHandle;
  readonly progress: Progress;
  readonly signal?: AbortSignal | undefined;
  /** Overrides the plan's readiness (default: exactly 200 from its readiness path). */
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

function runningEngine(options: AwaitReadyOptions, baseUrl: string, servedModel: string): RunningEngine {
  const { plan, handle } = options;
  const { definition } = plan;
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
    mode: plan.mode,
    api: definition.api,
    baseUrl,
    servedModel,
    handle: handle.id,
    limits: plan.limits,
    exited,
    logTail: (lines = LOG_TAIL_LINES) => handle.logsTail(lines),
    stop,
    [Symbol.asyncDispose]: async () => {
      await stop();
    },
  };
}

/** The port a started engine listens on: the planned one, or the one a self-binding child reports. */
async function listeningPort(plan: LaunchPlan, handle: StartedHandle): Promise<number> {
  if (plan.port !== 0) return plan.port;
  const port = await handle.listeningPort;
  if (port) return port;
  const exit = await handle.waited;
  throw new KittError(
    'ENGINE_EXITED',
    `${plan.definition.name} exited before it listened (${exit?.reason ?? 'no exit seen'})`,
    {
      hint: 'read its log lines',
    },
  );
}

/**
 * The one lifecycle of every hosted engine (container, host process, kitt's own child) once it
 * exists: wait until ready (failing at once when it exits), let the engine name its model, and
 * hand back a RunningEngine whose stop is idempotent. On any failure it is stopped and removed first.
 */
export async function awaitReadyEngine(options: AwaitReadyOptions): Promise<RunningEngine> {
  const { plan, handle, progress, signal } = options;
  const { definition } = plan;
  try {
    const baseUrl = `http://127.0.0.1:${await listeningPort(plan, handle)}`;
    const { path, timeoutMs, bodyMatch } = plan.readiness;
    await waitUntilReady(options.readiness ?? forHttp(`${baseUrl}${path}`, bodyMatch ? { bodyMatch } : {}), {
      timeoutMs,
      exited: handle.waited,
      logTail: (lines) => handle.logsTail(lines),
      signal,
      engine: definition.name,
      tailLines: LOG_TAIL_LINES,
    });
    const servedModel =
      plan.model && definition.prepareModel
        ? await definition.prepareModel({ baseUrl, model: plan.model, progress, signal })
        : (plan.servedModel ?? '');
    progress.end(`ready at ${baseUrl}`);
    return runningEngine(options, baseUrl, servedModel);
  } catch (error) {
    progress.end('failed');
    // an exit that is on its way (the reason readiness failed) is worth a second's wait
    const exit = await Promise.race([handle.waited, new Promise<undefined>((r) => setTimeout(r, 1_000, undefined))]);
    const tail = await handle.logsTail(LOG_TAIL_LINES).catch(() => '');
    await handle.stopAndRemove(2_000).catch(() => undefined);
    if (signal?.aborted) throw signal.reason ?? error;
    throw handle.reportedError?.() ?? startFailure(definition.name, error, exit, tail, plan.limits.memoryBytes);
  }
}
