import type { V1Pod } from '@kubernetes/client-node';
import { type ErrorCode, KittError } from '../../core/errors.js';

/** What a Pod's status says about an engine that is starting. */
export type PodVerdict =
  | { readonly state: 'ready' }
  | { readonly state: 'pending'; readonly detail: string }
  | { readonly state: 'failed'; readonly error: KittError };

/** Waiting reasons after which the kubelet will not start the image without a person's help. */
const IMAGE_REASONS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
const CONFIG_REASONS = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

function failed(code: ErrorCode, message: string, hint: string): PodVerdict {
  return { state: 'failed', error: new KittError(code, message, { hint }) };
}

/**
 * Reads one Pod as a watch event delivers it: Ready (the engine's own readiness probe passed), a
 * failure that will not heal (the image cannot be pulled, no node fits, the container ended or was
 * OOM-killed), or still pending. Pure, so each recorded event is a test case.
 */
export function judgePod(pod: V1Pod): PodVerdict {
  const name = pod.metadata?.name ?? 'the engine Pod';
  const status = pod.status ?? {};
  const conditions = status.conditions ?? [];
  if (conditions.some((c) => c.type === 'Ready' && c.status === 'True')) return { state: 'ready' };
  const unschedulable = conditions.find(
    (c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
  );
  if (unschedulable) {
    const message = unschedulable.message ?? 'no node fits';
    return /nvidia\.com\/gpu/.test(message)
      ? failed(
          'GPU_UNAVAILABLE',
          `no node can run ${name}: ${message}`,
          'ask for fewer GPUs, or add GPU nodes to the cluster',
        )
      : failed(
          'ENGINE_NOT_READY',
          `no node can run ${name}: ${message}`,
          'ask for less --cpus/--memory, or free the nodes',
        );
  }
  for (const container of status.containerStatuses ?? []) {
    const waiting = container.state?.waiting;
    if (waiting?.reason && IMAGE_REASONS.has(waiting.reason)) {
      return failed(
        'IMAGE_MISSING',
        `image ${container.image} of ${name} cannot be pulled (${waiting.reason}): ${waiting.message ?? ''}`.trim(),
        'check the image name and the registry credentials, or pass --image',
      );
    }
    if (waiting?.reason && CONFIG_REASONS.has(waiting.reason)) {
      return failed(
        'ENGINE_FAILED',
        `${name} cannot start (${waiting.reason}): ${waiting.message ?? ''}`.trim(),
        'check the model claim or node path and the engine arguments',
      );
    }
    const terminated = container.state?.terminated;
    if (terminated?.reason === 'OOMKilled') {
      return failed(
        'OOM_KILLED',
        `${name} was OOM-killed at its memory limit`,
        'give the engine more --memory, or a smaller model',
      );
    }
    if (terminated) {
      return failed(
        'ENGINE_EXITED',
        `${name} exited with code ${terminated.exitCode}${terminated.reason ? ` (${terminated.reason})` : ''}`,
        `read its log: kubectl logs ${name}`,
      );
    }
  }
  if (status.phase === 'Failed' || status.phase === 'Succeeded') {
    return failed(
      'ENGINE_EXITED',
      `${name} ended (${status.phase}${status.reason ? `: ${status.reason}` : ''})`,
      `kubectl describe pod ${name}`,
    );
  }
  const waiting = status.containerStatuses?.[0]?.state?.waiting?.reason;
  return { state: 'pending', detail: waiting ?? status.phase ?? 'Pending' };
}
