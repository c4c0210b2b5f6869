import { KittError } from '../core/errors.js';
import type { ContainerRuntime } from '../runtime/container-runtime.js';
import type { ProcessRuntime } from '../runtime/process/process-runtime.js';
import { assertModeSupported } from './catalog.js';
import { startEmbeddedEngine } from './embedded/start-embedded-engine.js';
import type { EngineRequest, RunningEngine } from './engine.js';
import type { HostPlatform } from './engine-definition.js';
import { startContainerEngine } from './start-container-engine.js';
import { startNativeEngine } from './start-native-engine.js';
import type { EngineStartDeps } from './started-engine.js';

/** Everything any mode may need; each mode uses its part (a container runtime, a process runtime). */
export interface StartEngineDeps extends EngineStartDeps {
  /** --pull */
  readonly pull?: boolean;
  readonly host?: HostPlatform;
  /** Docker mode. */
  readonly runtime?: ContainerRuntime;
  /** Native mode. */
  readonly processes?: ProcessRuntime;
  /** Embedded mode: replaces the in-process engine's starter (tests). */
  readonly startEmbedded?: (request: EngineRequest, deps: StartEngineDeps) => Promise<RunningEngine>;
}

function missing(what: string, mode: string): never {
  throw new KittError('INTERNAL', `--mode ${mode} needs ${what}, which was not passed in`);
}

/**
 * Starts an engine in the mode the request names: `embedded` inside kitt, `docker` as a sibling
 * container, `native` as a host process. Whatever the mode, the result is a ready RunningEngine
 * whose stop is idempotent (and `await using` stops it).
 */
export async function startEngine(request: EngineRequest, deps: StartEngineDeps): Promise<RunningEngine> {
  assertModeSupported(request);
  switch (request.mode) {
    case 'embedded':
      return (deps.startEmbedded ?? startEmbeddedEngine)(request, deps);
    case 'docker':
      return startContainerEngine(request, {
        ...deps,
        runtime: deps.runtime ?? missing('a container runtime', 'docker'),
      });
    case 'native':
      return startNativeEngine(request, {
        ...deps,
        processes: deps.processes ?? missing('a process runtime', 'native'),
      });
  }
}
