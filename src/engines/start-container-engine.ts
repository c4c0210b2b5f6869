import type { EngineRequest, RunningEngine } from './engine.js';
import { type StartEngineDeps, startEngine } from './start-engine.js';

/** What starting a container engine needs: a container runtime, beside what every start takes. */
export type ContainerEngineDeps = StartEngineDeps & Required<Pick<StartEngineDeps, 'runtime'>>;

/**
 * Starts an engine as a sibling container: host networking, GPUs, the model read-only and hard
 * limits; any failure after the container exists stops and removes it before the error is thrown.
 */
export function startContainerEngine(request: EngineRequest, deps: ContainerEngineDeps): Promise<RunningEngine> {
  return startEngine({ ...request, mode: 'docker' }, deps);
}
