import { basename } from 'node:path';
import { shortId } from '../core/ids.js';
import { type ContainerSpec, LABELS } from '../runtime/container-runtime.js';
import { currentOwner, formatOwner } from '../runtime/owner.js';
import type { EngineRequest } from './engine.js';
import type { ContainerLaunch, ServerEngineName } from './engine-definition.js';
import { containerCudaVisibleDevices } from './gpu-selection.js';

/** Where every model is mounted inside engine containers. */
export const CONTAINER_MODEL_DIR = '/models';

/** What an engine decides about its container: the command and its own mounts and env. */
export interface EngineContainerPlan {
  readonly cmd: readonly string[];
  readonly entrypoint?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Named volumes the engine keeps between runs (Ollama's model store). */
  readonly volumes?: ReadonlyArray<{ readonly name: string; readonly target: string }>;
  readonly shmSizeBytes?: number;
}

/**
 * The `kitt.owner` label: `user@host:pid:startTime` (the runtime's format), so orphan reaping can
 * tell a crashed kitt's containers from a running one's.
 */
export function defaultOwner(): string {
  return formatOwner(currentOwner());
}

/** The labels kitt puts on everything it starts; prune and orphan reaping select on them. */
export function kittLabels(engine: ServerEngineName, runId: string, owner: string): Record<string, string> {
  return { [LABELS.managed]: 'true', [LABELS.runId]: runId, [LABELS.engine]: engine, [LABELS.owner]: owner };
}

/** A container name that never collides: engine, the run id's random tail, and a fresh suffix. */
export function containerName(engine: ServerEngineName, runId: string): string {
  const runTail = runId.split('-').at(-1) ?? runId;
  return `kitt-${engine}-${runTail}-${shortId(3)}`;
}

/**
 * Turns an engine's plan into the runtime's ContainerSpec: host networking, the model bind-mounted
 * read-only at /models, the request's limits and GPUs, and kitt's labels. Every engine goes through
 * here, so limits and labels cannot be forgotten by one of them.
 */
export function toContainerSpec(
  engine: ServerEngineName,
  request: EngineRequest,
  launch: ContainerLaunch,
  plan: EngineContainerPlan,
): ContainerSpec {
  const cuda = containerCudaVisibleDevices(request.limits.gpus);
  const env: Record<string, string> = { ...(launch.env ?? {}), ...(plan.env ?? {}) };
  if (cuda !== undefined) env.CUDA_VISIBLE_DEVICES = cuda;
  const mountTarget = containerModelPath(launch);
  // the engine's own choice wins; otherwise the image's (NGC vLLM needs `vllm serve`)
  const entrypoint = plan.entrypoint ?? launch.image.entrypoint;
  return {
    name: containerName(engine, request.runId),
    image: launch.image.image,
    ...(entrypoint ? { entrypoint: [...entrypoint] } : {}),
    cmd: [...plan.cmd],
    env,
    labels: kittLabels(engine, request.runId, launch.owner),
    network: 'host',
    mounts: [
      { type: 'bind', source: launch.hostModelPath, target: mountTarget, readOnly: true },
      ...(plan.volumes ?? []).map((v) => ({
        type: 'volume' as const,
        source: v.name,
        target: v.target,
        readOnly: false,
      })),
    ],
    limits: request.limits,
    ...(plan.shmSizeBytes ? { shmSizeBytes: plan.shmSizeBytes } : {}),
  };
}

/** Path of the model inside the container (`/models/<file or folder name>`), matching the bind mount. */
export function containerModelPath(launch: Pick<ContainerLaunch, 'model'>): string {
  return `${CONTAINER_MODEL_DIR}/${basename(launch.model.servePath)}`;
}
