import { type ContainerRuntime, LABELS, type ManagedContainer } from './container-runtime.js';
import { type OwnerIdentity, isOwnerAlive as ownerProcessAlive, parseOwner } from './owner.js';

export interface ReapOptions {
  /** Decides whether an owner process still runs; defaults to the /proc check on this host. */
  readonly isOwnerAlive?: (owner: OwnerIdentity) => boolean;
}

export interface ReapResult {
  /** Orphans that were removed. */
  readonly removed: readonly ManagedContainer[];
  /** kitt containers left alone: their owner lives, runs elsewhere, or is not recorded as a process. */
  readonly kept: readonly ManagedContainer[];
}

/**
 * Removes the containers of kitt processes that died without cleaning up (kill -9, a crash, a
 * power cut). Only containers labelled kitt.managed=true are considered, and of those only the ones
 * whose kitt.owner names a process on this host that no longer exists (pid gone, or reused by a
 * process with another start time). Anything else is never touched.
 */
export async function reapOrphans(
  runtime: Pick<ContainerRuntime, 'listManaged' | 'remove'>,
  options: ReapOptions = {},
): Promise<ReapResult> {
  const alive = options.isOwnerAlive ?? ((owner: OwnerIdentity) => ownerProcessAlive(owner));
  const removed: ManagedContainer[] = [];
  const kept: ManagedContainer[] = [];
  for (const container of await runtime.listManaged()) {
    const owner = parseOwner(container.labels[LABELS.owner]);
    if (container.labels[LABELS.managed] !== 'true' || !owner || alive(owner)) {
      kept.push(container);
      continue;
    }
    await runtime.remove(container);
    removed.push(container);
  }
  return { removed, kept };
}
