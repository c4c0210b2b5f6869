import { KittError } from '../core/errors.js';
import type { Progress } from '../core/progress.js';
import type { ContainerRuntime } from '../runtime/container-runtime.js';
import type { ProcessRuntime } from '../runtime/process/process-runtime.js';
import { reapOrphans } from '../runtime/reap-orphans.js';
import type { EngineRequest, RunningEngine } from './engine.js';
import { gatherLaunchFacts, type LaunchFactSources } from './gather-launch-facts.js';
import { type LaunchPlan, planLaunch } from './launch-plan.js';
import { assertPreflight, type PreflightDeps, preflightPlan } from './preflight.js';
import type { ReadinessStrategy } from './readiness.js';
import { awaitReadyEngine } from './started-engine.js';
import type { StartedHandle } from './started-handle.js';

/** What starting an engine takes; each mode uses its part (a container runtime, a process runtime). */
export interface StartEngineDeps extends Omit<LaunchFactSources, 'daemon'> {
  readonly progress: Progress;
  /** Aborts startup (SIGINT): whatever was started is stopped and removed before the error surfaces. */
  readonly signal?: AbortSignal | undefined;
  /** --pull */
  readonly pull?: boolean;
  /** Docker mode. */
  readonly runtime?: ContainerRuntime;
  /** Native mode. */
  readonly processes?: ProcessRuntime;
  /** Remove containers left by crashed kitt runs before starting (default true). */
  readonly reapOrphans?: boolean;
  /** Extra preflight inputs (port check, PATH). */
  readonly preflight?: Pick<PreflightDeps, 'isPortFree' | 'env'> &
    Pick<LaunchFactSources, 'countGpus' | 'validateModel'>;
  /** Readiness strategy; default: exactly 200 from the engine's readiness path. */
  readonly readiness?: ReadinessStrategy;
}

function missing(what: string, mode: string): never {
  throw new KittError('INTERNAL', `--mode ${mode} needs ${what}, which was not passed in`);
}

/** Creates what the plan describes: the container, the host process or kitt's child. */
async function applyPlan(plan: LaunchPlan, deps: StartEngineDeps): Promise<StartedHandle> {
  const { definition } = plan;
  if (plan.mode === 'docker') {
    const runtime = deps.runtime ?? missing('a container runtime', 'docker');
    const ref = await runtime.run(plan.container ?? missing('a container spec', 'docker'));
    return {
      id: ref.id,
      waited: runtime.wait(ref).catch(() => undefined),
      logsTail: (lines) => runtime.logsTail(ref, lines),
      stopAndRemove: async (graceMs) => {
        const exit = await runtime.stop(ref, graceMs === undefined ? {} : { graceMs }).catch(() => undefined);
        await runtime.remove(ref);
        return exit;
      },
    };
  }
  const command = plan.command ?? missing('a command line', plan.mode);
  if (plan.mode === 'embedded') return (definition.spawnChild ?? missing('a child spawner', 'embedded'))(command);
  const processes = deps.processes ?? missing('a process runtime', 'native');
  const ref = await processes.start({
    name: definition.name,
    command: command.command,
    args: command.args,
    env: command.env,
    ...(plan.limits.cpus === undefined ? {} : { cpus: plan.limits.cpus }),
    ...(plan.limits.memoryBytes === undefined ? {} : { memoryBytes: plan.limits.memoryBytes }),
  });
  return {
    id: String(ref.pid),
    waited: processes.wait(ref).catch(() => undefined),
    logsTail: async (lines) => processes.logsTail(ref, lines),
    stopAndRemove: (graceMs) => processes.stop(ref, graceMs === undefined ? {} : { graceMs }),
  };
}

/** Leftovers of crashed kitt runs in the plan's mode: containers by label, process groups by pidfile. */
async function reapLeftovers(mode: EngineRequest['mode'], deps: StartEngineDeps): Promise<void> {
  if (mode === 'docker' && deps.runtime && (deps.reapOrphans ?? true)) {
    const { removed } = await reapOrphans(deps.runtime);
    if (removed.length > 0) deps.progress.info(`removed ${removed.length} container(s) left by a crashed kitt run`);
  }
  if (mode === 'native' && deps.processes) {
    const reaped = await deps.processes.reapStale();
    if (reaped.length > 0) deps.progress.info(`stopped ${reaped.length} engine process(es) left by a crashed kitt run`);
  }
}

/**
 * Starts an engine in the mode the request names: read (gatherLaunchFacts), plan (planLaunch,
 * once), check (preflight, every problem at once), apply (create it and wait until ready). The
 * result is a ready RunningEngine whose stop is idempotent (and `await using` stops it).
 */
export async function startEngine(request: EngineRequest, deps: StartEngineDeps): Promise<RunningEngine> {
  const { progress } = deps;
  // Reap first: a crashed run's container still holds its port, and the facts include a free port.
  await reapLeftovers(request.mode, deps);
  const facts = await gatherLaunchFacts(request, {
    ...deps,
    ...(deps.runtime ? { daemon: deps.runtime } : {}),
    ...(deps.preflight?.countGpus ? { countGpus: deps.preflight.countGpus } : {}),
    ...(deps.preflight?.validateModel ? { validateModel: deps.preflight.validateModel } : {}),
    ...(deps.preflight?.isPortFree ? { isPortFree: deps.preflight.isPortFree } : {}),
  });
  const plan = planLaunch(request, facts);
  progress.phase(`checking ${plan.definition.name}`);
  const checks = await preflightPlan(plan, {
    ...(deps.runtime ? { runtime: deps.runtime } : {}),
    pull: deps.pull ?? false,
    ...(deps.preflight?.isPortFree ? { isPortFree: deps.preflight.isPortFree } : {}),
    ...(deps.preflight?.env ? { env: deps.preflight.env } : {}),
  });
  progress.end(checks.every((c) => c.ok) ? 'ok' : 'failed');
  assertPreflight(checks);
  deps.signal?.throwIfAborted();
  progress.phase(`starting ${plan.definition.name}${plan.image ? ` (${plan.image.image})` : ''}`);
  const handle = await applyPlan(plan, deps);
  return awaitReadyEngine({ plan, handle, progress, signal: deps.signal, readiness: deps.readiness });
}
