import { type ContainerRuntime, LABELS, type ManagedContainer } from '../runtime/container-runtime.js';
import { isOwnerAlive, parseOwner } from '../runtime/owner.js';

export interface PruneResult {
  readonly removed: readonly ManagedContainer[];
  /** Running containers of live kitt processes, left alone unless `all`. */
  readonly kept: readonly ManagedContainer[];
}

/**
 * Whether a kitt container may go: it has stopped, or the kitt that started it is gone (same host,
 * pid no longer running with the recorded start time). A container whose owner label cannot be read
 * is kept unless `all`, because it cannot be proven orphaned.
 */
export function isPrunable(container: ManagedContainer, all: boolean): boolean {
  if (all) return true;
  if (container.state !== 'running' && container.state !== 'restarting' && container.state !== 'paused') return true;
  const owner = parseOwner(container.labels[LABELS.owner]);
  return owner !== undefined && !isOwnerAlive(owner);
}

/**
 * `kitt engines prune`: removes kitt-labelled containers only (the runtime lists by the
 * kitt.managed label; nobody else's container is ever touched). By default only stopped containers
 * and orphans of dead kitt processes; with `all`, every kitt container, running runs included.
 */
export async function pruneEngines(runtime: ContainerRuntime, options: { all?: boolean } = {}): Promise<PruneResult> {
  const containers = await runtime.listManaged();
  const removed: ManagedContainer[] = [];
  const kept: ManagedContainer[] = [];
  for (const container of containers) {
    if (container.labels[LABELS.managed] !== 'true') continue;
    if (!isPrunable(container, options.all ?? false)) {
      kept.push(container);
      continue;
    }
    await runtime.stop(container, { graceMs: 5_000 });
    await runtime.remove(container);
    removed.push(container);
  }
  return { removed, kept };
}
