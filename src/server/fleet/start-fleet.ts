import type { KittConfig } from '../../config/config-schema.js';
import type { Store } from '../../store/store-types.js';
import { CellQueue, type RetryPolicy } from './cell-queue.js';
import { Fleet } from './fleet-service.js';

export interface StartedFleet {
  readonly fleet: Fleet;
  close(): Promise<void>;
}

export const DEFAULT_LEASE_MARGIN_S = 60;

/**
 * The queue's schema: beside the store's own, so a store on a schema of its own (search_path in
 * the URL's options) gets a queue of its own too.
 */
export function queueSchemaOf(url: string): string {
  const options = new URL(url).searchParams.get('options') ?? '';
  const searchPath = /search_path=([A-Za-z0-9_]+)/.exec(options)?.[1];
  return searchPath ? `${searchPath}_queue` : 'kitt_queue';
}

/** The fleet on a PostgreSQL store; none on SQLite, whose fleet routes then name the fix. */
export async function startFleet(
  store: Store,
  url: string,
  options: {
    readonly config: KittConfig;
    readonly leaseMarginS?: number | undefined;
    /** Retries of a failed cell and the delay before the first; default DEFAULT_CELL_RETRY. */
    readonly cellRetry?: RetryPolicy | undefined;
    readonly log: (line: string) => void;
  },
): Promise<StartedFleet | undefined> {
  if (store.dialect !== 'postgres') return undefined;
  const leaseMarginS = options.leaseMarginS ?? DEFAULT_LEASE_MARGIN_S;
  const queue = await CellQueue.open({
    url,
    schema: queueSchemaOf(url),
    // a lease that expires is noticed within a few seconds when leases are short (tests), else within 10 s
    maintenanceIntervalSeconds: Math.max(1, Math.min(10, Math.floor(leaseMarginS / 2))),
    ...(options.cellRetry ? { retry: options.cellRetry } : {}),
    log: options.log,
  });
  const fleet = new Fleet({ store, queue, config: options.config, leaseMarginS, log: options.log });
  return { fleet, close: () => queue.close() };
}
