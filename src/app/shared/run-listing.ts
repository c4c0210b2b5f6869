import { KittError } from '../../core/errors.js';
import type { Store, StoredRun } from '../../store/store-types.js';

/** One line of a run list: what a person scans for, not the whole stored document. */
export interface RunListing {
  readonly id: string;
  readonly startedAt: string;
  readonly status: string;
  readonly engine: string;
  readonly mode: string;
  readonly model: string;
  readonly requestsPerS: number | null;
  readonly outputTokensPerS: number | null;
  readonly ttftP50Ms: number | null;
  readonly tpotP50Ms: number | null;
  readonly error: string | null;
  readonly resultPath: string | null;
  readonly [field: string]: unknown;
}

const numberAt = (value: unknown, ...path: string[]): number | null => {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return null;
    current = (current as Record<string, unknown>)[key];
  }
  return typeof current === 'number' && Number.isFinite(current) ? current : null;
};

/** Headline figures from the stored metrics document (written by the run use case). */
export function toRunListing(run: StoredRun): RunListing {
  const metrics = (run.metrics as { metrics?: unknown } | undefined)?.metrics;
  return {
    id: run.id,
    startedAt: run.startedAt,
    status: run.status,
    engine: run.engine,
    mode: run.mode,
    model: run.model,
    requestsPerS: numberAt(metrics, 'throughput', 'requestsPerS'),
    outputTokensPerS: numberAt(metrics, 'throughput', 'outputTokensPerS'),
    ttftP50Ms: numberAt(metrics, 'ttftMs', 'p50'),
    tpotP50Ms: numberAt(metrics, 'tpotMs', 'p50'),
    error: run.error ?? null,
    resultPath: run.resultPath ?? null,
  };
}

/** The recorded runs, newest first: what `kitt results list` and the web server's list show. */
export function listRuns(
  store: Pick<Store, 'listRuns'>,
  options: { readonly limit?: number; readonly engine?: string } = {},
): Promise<StoredRun[]> {
  return store.listRuns({
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.engine ? { engine: options.engine } : {}),
  });
}

/** One recorded run, whole; a run the store does not know is a usage error naming where to look. */
export async function showRun(store: Pick<Store, 'getRun' | 'location'>, id: string): Promise<StoredRun> {
  const run = await store.getRun(id);
  if (!run) {
    throw new KittError('USAGE', `no run ${id} in ${store.location}`, {
      hint: 'kitt results list shows the recorded runs',
    });
  }
  return run;
}
