import { KittError } from '../core/errors.js';
import type { ProcessRuntime } from '../runtime/process/process-runtime.js';
import { assertModeSupported, engineDefinition } from './catalog.js';
import type { EngineRequest, RunningEngine } from './engine.js';
import { resolveEngineRequest } from './engine-settings.js';
import { assertPreflight, choosePort, effectiveGpus, type PreflightDeps, preflight } from './preflight.js';
import { hostArch } from './select-image.js';
import { awaitReadyEngine, type LifecycleStartDeps, type StartedHandle } from './started-engine.js';

/** What starting a native (host process) engine needs. */
export interface NativeEngineDeps extends LifecycleStartDeps {
  readonly processes: ProcessRuntime;
  readonly preflight?: Pick<PreflightDeps, 'countGpus' | 'isPortFree' | 'validateModel' | 'env'>;
}

/**
 * Starts an engine as a host process (`llama-server`, `vllm serve`, `ollama serve`) with the same
 * flags, readiness and teardown as in a container. Limits are not enforced natively: they are
 * recorded, and CPU % is measured against them. Process groups left by a killed kitt are stopped
 * first.
 */
export async function startNativeEngine(request: EngineRequest, deps: NativeEngineDeps): Promise<RunningEngine> {
  const definition = deps.definition ?? engineDefinition(request.engine);
  if (!deps.definition) assertModeSupported({ engine: request.engine, mode: 'native' });
  const { processes, progress, signal } = deps;
  const resolved = resolveEngineRequest(request, deps.settings, deps.profile);
  const gpus = effectiveGpus(resolved.request, definition);
  const port = await choosePort(resolved.request.port, definition.defaultPort, deps.preflight?.isPortFree);
  const req: EngineRequest = {
    ...resolved.request,
    port,
    mode: 'native',
    limits: { ...resolved.request.limits, ...(gpus === undefined ? {} : { gpus }) },
  };

  const reaped = await processes.reapStale();
  if (reaped.length > 0) progress.info(`stopped ${reaped.length} engine process(es) left by a crashed kitt run`);
  progress.phase(`checking ${definition.name}`);
  const checks = await preflight(req, { ...deps.preflight, host: { arch: hostArch() }, definition });
  progress.end(checks.every((c) => c.ok) ? 'ok' : 'failed');
  assertPreflight(checks);
  const check = await definition.checkModel(req.modelPath);
  if (!check.ok) throw new KittError('MODEL_FORMAT_MISMATCH', check.message, { hint: check.hint });

  const native = definition.buildNativeCommand(req, { model: check.model, port, env: resolved.env });
  progress.phase(`starting ${native.command}`);
  const ref = await processes.start({
    name: definition.name,
    command: native.command,
    args: native.args,
    env: native.env,
    ...(req.limits.cpus === undefined ? {} : { cpus: req.limits.cpus }),
    ...(req.limits.memoryBytes === undefined ? {} : { memoryBytes: req.limits.memoryBytes }),
  });
  const handle: StartedHandle = {
    id: String(ref.pid),
    waited: processes.wait(ref).catch(() => undefined),
    logsTail: async (lines) => processes.logsTail(ref, lines),
    stopAndRemove: (graceMs) => processes.stop(ref, graceMs === undefined ? {} : { graceMs }),
  };
  return awaitReadyEngine({
    definition,
    request: req,
    mode: 'native',
    handle,
    baseUrl: `http://127.0.0.1:${port}`,
    model: check.model,
    progress,
    signal,
    settings: deps.settings,
    readinessTimeoutMs: deps.readinessTimeoutMs,
    readiness: deps.readiness,
  });
}
