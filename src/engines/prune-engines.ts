import type { ContainerRuntime, ManagedContainer } from '../runtime/container-runtime.js';
import { reapOrphans } from '../runtime/reap-orphans.js';

export interface PruneResult {
  readonly removed: readonly ManagedContainer[];
  /** Running containers of live kitt processes, left alone unless `all`. */
  readonly kept: readonly ManagedContainer[];
}

const LIVE_STATES = new Set(['running', 'restarting', 'paused', 'created']);

/**
 * `kitt engines prune`: removes kitt-labelled containers only (the runtime lists by the
 * kitt.managed label; nobody else's container is ever touched): orphans of dead kitt processes and
 * stopped kitt containers, and with `all` every kitt container, runs in progress included.
 */
export async function pruneEngines(runtime: ContainerRuntime, options: { all?: boolean } = {}): Promise<PruneResult> {
  const reaped = await reapOrphans(runtime);
  const removed: ManagedContainer[] = [...reaped.removed];
  const kept: ManagedContainer[] = [];
  for (const container of reaped.kept) {
    if (container.labels['kitt.managed'] !== 'true' || (!options.all && LIVE_STATES.has(container.state))) {
      if (container.labels['kitt.managed'] === 'true') kept.push(container);
      continue;
    }
    await runtime.stop(container, { graceMs: 5_000 });
    await runtime.remove(container);
    removed.push(container);
  }
  return { removed, kept };
}
