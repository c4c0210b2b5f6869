import { availableCpus } from '../core/available-cpus.js';
import { KittError } from '../core/errors.js';
import { shortId } from '../core/ids.js';
import { validateGguf } from '../models/validate-gguf.js';
import type { ContainerRuntime } from '../runtime/container-runtime.js';
import { checkEngineModel, engineDefinition } from './catalog.js';
import { choosePort } from './choose-port.js';
import { defaultOwner } from './container-plan.js';
import type { EngineRequest } from './engine.js';
import type { EngineDefinition, HostPlatform } from './engine-definition.js';
import type { EngineSettings } from './engine-settings.js';
import { countNvidiaGpus } from './gpu-selection.js';
import { detectOwnContainerId, translateToHostPath } from './host-path.js';
import type { LaunchFacts } from './launch-plan.js';
import { hostArch } from './select-image.js';

/** Where the facts come from; every part can be replaced (tests, the web server). */
export interface LaunchFactSources {
  readonly definition?: EngineDefinition;
  readonly host?: HostPlatform;
  readonly settings?: EngineSettings | undefined;
  readonly profile?: string | undefined;
  readonly readinessTimeoutMs?: number | undefined;
  readonly owner?: string;
  /** Docker mode: the daemon, to translate the model path when kitt runs in a container. */
  readonly daemon?: Pick<ContainerRuntime, 'inspect'>;
  readonly ownContainerId?: () => Promise<string | undefined>;
  readonly countGpus?: () => Promise<number>;
  readonly isPortFree?: (port: number) => Promise<boolean>;
  /** Deeper GGUF validation after the format check; default: the models domain's validateGguf. */
  readonly validateModel?: (path: string) => Promise<unknown>;
}

/**
 * The model path the Docker daemon must bind. When kitt runs in a container, the daemon (a sibling's
 * parent) resolves bind sources on the host, so the path is translated through kitt's own mounts.
 */
export async function hostModelPath(
  path: string,
  runtime: Pick<ContainerRuntime, 'inspect'>,
  ownContainerId: () => Promise<string | undefined> = detectOwnContainerId,
): Promise<string> {
  const id = await ownContainerId();
  if (id === undefined) return path;
  const self = await runtime.inspect({ id, name: id });
  const binds = self.mounts.filter((m) => m.type === 'bind').map((m) => ({ source: m.source, destination: m.target }));
  return translateToHostPath(path, binds);
}

/**
 * Reads everything a launch plan depends on, once: the engine's definition, the host, the model
 * (detected and validated), where the daemon sees it, the port, the GPUs and CPUs. planLaunch
 * then decides without touching anything.
 */
export async function gatherLaunchFacts(request: EngineRequest, sources: LaunchFactSources = {}): Promise<LaunchFacts> {
  const definition = sources.definition ?? engineDefinition(request.engine);
  const model = request.modelPath === '' ? undefined : await checkEngineModel(definition, request.modelPath);
  let modelProblem: LaunchFacts['modelProblem'];
  if (model?.ok && model.model.format === 'gguf') {
    try {
      await (sources.validateModel ?? validateGguf)(model.model.servePath);
    } catch (error) {
      modelProblem = { message: (error as Error).message, hint: error instanceof KittError ? error.hint : undefined };
    }
  }
  const translated =
    request.mode === 'docker' && model?.ok && sources.daemon
      ? await hostModelPath(model.model.servePath, sources.daemon, sources.ownContainerId).catch(
          () => model.model.servePath,
        )
      : undefined;
  return {
    definition,
    host: sources.host ?? { arch: hostArch() },
    model,
    ...(modelProblem ? { modelProblem } : {}),
    ...(translated !== undefined ? { hostModelPath: translated } : {}),
    port: await choosePort(request.port, definition.defaultPort, sources.isPortFree),
    gpuCount: await (sources.countGpus ?? countNvidiaGpus)(),
    cpuCount: availableCpus(),
    owner: sources.owner ?? defaultOwner(),
    nameSuffix: shortId(3),
    settings: sources.settings,
    profile: sources.profile,
    readinessTimeoutMs: sources.readinessTimeoutMs,
  };
}
