import type { EngineRequest, RunningEngine } from './engine.js';
import { type StartEngineDeps, startEngine } from './start-engine.js';

/** What starting a native (host process) engine needs: a process runtime, beside what every start takes. */
export type NativeEngineDeps = StartEngineDeps & Required<Pick<StartEngineDeps, 'processes'>>;

/**
 * Starts an engine as a host process (`llama-server`, `vllm serve`, `ollama serve`) with the same
 * flags, readiness and teardown as in a container. Limits are not enforced natively: they are
 * recorded, and CPU % is measured against them. Process groups left by a killed kitt are stopped first.
 */
export function startNativeEngine(request: EngineRequest, deps: NativeEngineDeps): Promise<RunningEngine> {
  return startEngine({ ...request, mode: 'native' }, deps);
}
