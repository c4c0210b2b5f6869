import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Secret } from '../../core/secret.js';
import { isOwnerAlive, type OwnerIdentity, parseOwner } from '../../runtime/owner.js';
import { openStore } from '../../store/open-store.js';
import type { Store, StoredRun } from '../../store/store-types.js';

/** Running rows looked at per open: more than any host runs at once. */
const RUNNING_ROWS = 1_000;

/**
 * Opens the results store and closes the books of runs whose kitt died without recording an end
 * (kill -9, a crash, a power cut): every command that opens the store does this first, so a dead
 * run never stays `running`.
 */
export async function openRunStore(urlOrPath: string | Secret): Promise<Store> {
  const store = await openStore(urlOrPath);
  try {
    await markAbandonedRuns(store);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

/**
 * Marks `running` rows whose owner process is gone as `abandoned`, ended at the time of their last
 * record on disk (requests.jsonl is appended at least every second, so its modification time is
 * the last flush) or, with none, when they started. Rows without an owner (written by an older
 * kitt) or owned on another host are left alone: nothing here can tell whether they still run.
 */
export async function markAbandonedRuns(
  store: Store,
  alive: (owner: OwnerIdentity) => boolean = (owner) => isOwnerAlive(owner),
): Promise<StoredRun[]> {
  const marked: StoredRun[] = [];
  for (const run of await store.listRuns({ status: 'running', limit: RUNNING_ROWS })) {
    const owner = parseOwner(run.owner);
    if (!owner || alive(owner)) continue;
    const lastRecordAt = lastFlush(run.resultPath);
    const saved = lastRecordAt && run.resultPath ? `; its records up to then are in ${run.resultPath}` : '';
    marked.push(
      await store.recordRunFinished(run.id, {
        status: 'abandoned',
        finishedAt: lastRecordAt ?? new Date(run.startedAt),
        error: `kitt (pid ${owner.pid}) ended without recording how the run ended${saved}`,
      }),
    );
  }
  return marked;
}

function lastFlush(resultPath: string | undefined): Date | undefined {
  if (!resultPath) return undefined;
  try {
    return statSync(join(resultPath, 'requests.jsonl')).mtime;
  } catch {
    return undefined;
  }
}
