import { type Kysely, sql } from 'kysely';
import type { StoreDialect } from './migrations.js';
import { type StoreSchema, toCalibration, toRun } from './store-schema.js';
import type { RunQuery, RunSortField, StoredCalibration, StoredHost, StoredRun } from './store-types.js';

const SORT_COLUMNS: Record<RunSortField, 'started_at' | 'engine' | 'model' | 'status'> = {
  startedAt: 'started_at',
  engine: 'engine',
  model: 'model',
  status: 'status',
};

/** The load's kind inside the stored metrics document: JSON paths are spelt differently per database. */
function loadKindOf(dialect: StoreDialect) {
  return dialect === 'postgres'
    ? sql<string>`metrics -> 'load' ->> 'kind'`
    : sql<string>`json_extract(metrics, '$.load.kind')`;
}

/**
 * One page of runs by keyset: rows after the cursor's (sort value, id) in the chosen order, so a
 * page never skips or repeats a row when runs are added meanwhile (an offset would).
 */
export async function queryRuns(db: Kysely<StoreSchema>, dialect: StoreDialect, query: RunQuery): Promise<StoredRun[]> {
  const column = SORT_COLUMNS[query.sort ?? 'startedAt'];
  const descending = query.descending ?? true;
  let select = db.selectFrom('runs').selectAll();
  if (query.engine !== undefined) select = select.where('engine', '=', query.engine);
  if (query.model !== undefined) select = select.where('model', '=', query.model);
  if (query.host !== undefined) select = select.where('hardware_fingerprint', '=', query.host);
  if (query.status !== undefined) select = select.where('status', '=', query.status);
  if (query.loadKind !== undefined) select = select.where(loadKindOf(dialect), '=', query.loadKind);
  // ISO-8601 in UTC compares as text on SQLite and casts to timestamptz on PostgreSQL
  if (query.startedFrom) select = select.where('started_at', '>=', query.startedFrom.toISOString());
  if (query.startedBefore) select = select.where('started_at', '<', query.startedBefore.toISOString());
  if (query.after) {
    const { value, id } = query.after;
    const past = descending ? '<' : '>';
    select = select.where((eb) =>
      eb.or([eb(column, past, value), eb.and([eb(column, '=', value), eb('id', past, id)])]),
    );
  }
  const direction = descending ? 'desc' : 'asc';
  const rows = await select.orderBy(column, direction).orderBy('id', direction).limit(query.limit).execute();
  return rows.map(toRun);
}

/** The value a run sorts by, as a cursor carries it. */
export function sortValueOf(run: StoredRun, sort: RunSortField = 'startedAt'): string {
  return run[sort];
}

export async function listHosts(db: Kysely<StoreSchema>): Promise<StoredHost[]> {
  const groups = await db
    .selectFrom('runs')
    .select((eb) => [
      'hardware_fingerprint',
      eb.fn.countAll<number | string>().as('runs'),
      eb.fn.min('started_at').as('first_run_at'),
      eb.fn.max('started_at').as('last_run_at'),
    ])
    .where('hardware_fingerprint', 'is not', null)
    .groupBy('hardware_fingerprint')
    .orderBy('last_run_at', 'desc')
    .execute();
  return Promise.all(
    groups.map(async (group) => {
      const fingerprint = group.hardware_fingerprint!;
      const newest = await db
        .selectFrom('runs')
        .selectAll()
        .where('hardware_fingerprint', '=', fingerprint)
        .orderBy('started_at', 'desc')
        .limit(1)
        .executeTakeFirstOrThrow();
      const run = toRun(newest);
      return {
        fingerprint,
        runs: Number(group.runs),
        firstRunAt: new Date(group.first_run_at as string | Date).toISOString(),
        lastRunAt: run.startedAt,
        hardware: run.hardware,
      };
    }),
  );
}

export async function listCalibrations(
  db: Kysely<StoreSchema>,
  options: { engine?: string; limitsKey?: string; limit: number },
): Promise<StoredCalibration[]> {
  let select = db.selectFrom('calibrations').selectAll();
  if (options.engine !== undefined) select = select.where('engine', '=', options.engine);
  if (options.limitsKey !== undefined) select = select.where('limits_key', '=', options.limitsKey);
  const rows = await select.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(options.limit).execute();
  return rows.map(toCalibration);
}
