import type { EngineRequest, RunningEngine } from '../engines/engine.js';
import { type StartEngineDeps, startEngine } from '../engines/start-engine.js';

/*
 * Tests start an engine in one named mode; kitt itself calls startEngine with the request's mode.
 * These only fix the mode (and say which runtime that mode needs).
 */

export type ContainerEngineDeps = StartEngineDeps & Required<Pick<StartEngineDeps, 'runtime'>>;
export type NativeEngineDeps = StartEngineDeps & Required<Pick<StartEngineDeps, 'processes'>>;

export function startContainerEngine(request: EngineRequest, deps: ContainerEngineDeps): Promise<RunningEngine> {
  return startEngine({ ...request, mode: 'docker' }, deps);
}

export function startNativeEngine(request: EngineRequest, deps: NativeEngineDeps): Promise<RunningEngine> {
  return startEngine({ ...request, mode: 'native' }, deps);
}

export function startEmbeddedEngine(request: EngineRequest, deps: StartEngineDeps): Promise<RunningEngine> {
  return startEngine({ ...request, mode: 'embedded' }, deps);
}
