import type { EngineRequest, RunningEngine } from '../engine.js';
import { type StartEngineDeps, startEngine } from '../start-engine.js';

/** Starts the embedded engine through the one engine lifecycle (plan, preflight, spawn, ready). */
export function startEmbeddedEngine(request: EngineRequest, deps: StartEngineDeps): Promise<RunningEngine> {
  return startEngine({ ...request, mode: 'embedded' }, deps);
}
