import { basename } from 'node:path';
import { type ContainerSpec, LABELS } from '../runtime/container-runtime.js';
import { currentOwner, formatOwner } from '../runtime/owner.js';
import type { EngineName, ResourceLimits } from './engine.js';
import type { DetectedModel, EngineContainerPlan, SelectedImage } from './engine-definition.js';

/** Where every model is mounted inside engine containers. */
export const CONTAINER_MODEL_DIR = '/models';

/**
 * The `kitt.owner` label: `user@host:pid:startTime` (the runtime's format), so orphan reaping can
 * tell a crashed kitt's containers from a running one's.
 */
export function defaultOwner(): string {
  return formatOwner(currentOwner());
}

/** The labels kitt puts on everything it starts; prune and orphan reaping select on them. */
export function kittLabels(engine: EngineName, runId: string, owner: string): Record<string, string> {
  return { [LABELS.managed]: 'true', [LABELS.runId]: runId, [LABELS.engine]: engine, [LABELS.owner]: owner };
}

/** A container name that never collides: engine, the run id's random tail, and a fresh suffix. */
export function containerName(engine: EngineName, runId: string, suffix: string): string {
  const runTail = runId.split('-').at(-1) ?? runId;
  return `kitt-${engine}-${runTail}-${suffix}`;
}

/** What the launch plan settled for a container, beside the engine's own part. */
export interface ContainerLaunch {
  readonly engine: EngineName;
  readonly runId: string;
  readonly nameSuffix: string;
  readonly image: SelectedImage;
  /** The model's path as the Docker daemon's host sees it. */
  readonly hostModelPath: string;
  readonly modelPathInContainer: string;
  readonly limits: ResourceLimits;
  readonly owner: string;
  readonly env: Readonly<Record<string, string>>;
  /** Container-side device numbers (the runtime renumbers requested GPUs from 0). */
  readonly cudaVisibleDevices?: string | undefined;
}

/**
 * Turns an engine's container plan into the runtime's ContainerSpec: host networking, the model
 * bind-mounted read-only under /models, the limits and GPUs, and kitt's labels. Every engine goes
 * through here, so limits and labels cannot be forgotten by one of them.
 */
export function toContainerSpec(launch: ContainerLaunch, plan: EngineContainerPlan): ContainerSpec {
  // the engine's own choice wins; otherwise the image's (NGC vLLM needs `vllm serve`)
  const entrypoint = plan.entrypoint ?? launch.image.entrypoint;
  return {
    name: containerName(launch.engine, launch.runId, launch.nameSuffix),
    image: launch.image.image,
    ...(entrypoint ? { entrypoint: [...entrypoint] } : {}),
    cmd: [...plan.cmd],
    env: {
      ...launch.env,
      ...(plan.env ?? {}),
      ...(launch.cudaVisibleDevices === undefined ? {} : { CUDA_VISIBLE_DEVICES: launch.cudaVisibleDevices }),
    },
    labels: kittLabels(launch.engine, launch.runId, launch.owner),
    network: 'host',
    mounts: [
      { type: 'bind', source: launch.hostModelPath, target: launch.modelPathInContainer, readOnly: true },
      ...(plan.volumes ?? []).map((v) => ({
        type: 'volume' as const,
        source: v.name,
        target: v.target,
        readOnly: false,
      })),
    ],
    limits: launch.limits,
    ...(plan.shmSizeBytes ? { shmSizeBytes: plan.shmSizeBytes } : {}),
  };
}

/** Path of the model inside the container (`/models/<file or folder name>`), matching the bind mount. */
export function containerModelPath(model: Pick<DetectedModel, 'servePath'>): string {
  return `${CONTAINER_MODEL_DIR}/${basename(model.servePath)}`;
}
