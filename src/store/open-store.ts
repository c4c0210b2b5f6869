import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import type pg from 'pg';
import { KittError } from '../core/errors.js';
import { newRunId } from '../core/ids.js';
import { ensureWritableDir, homePaths } from '../core/kitt-home.js';
import { redactUrl, revealed, type Secret } from '../core/secret.js';
import { apiTokenStore } from './api-tokens.js';
import { campaignStore, guardedCampaigns } from './campaign-store.js';
import { migrationProvider, type StoreDialect } from './migrations.js';
import { listCalibrations, listHosts, queryRuns } from './run-queries.js';
import { schemaScopedMigrator } from './schema-scoped-migrator.js';
import { type RunsTable, type StoreSchema, toCalibration, toConfigJson, toJson, toRun } from './store-schema.js';
import type { ApiTokenStore, CalibrationRecord, RunFinished, RunStarted, Store, StoredRun } from './store-types.js';

/** `<kitt home>/kitt.db`: the default store. */
export function defaultStorePath(home: string): string {
  return homePaths(home).store;
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(url);
}

function storeFailed(action: string, location: string, cause: unknown, hint: string): KittError {
  const reason = redactUrl(cause instanceof Error ? (cause.message.split('\n')[0] ?? '') : String(cause));
  return new KittError('STORE_FAILED', `cannot ${action} the results store at ${location}: ${reason}`, {
    hint,
    cause,
  });
}

/**
 * On Node 24, better-sqlite3 12's native destructors (Database and Statement) assert when the
 * garbage collector frees them outside a JavaScript context (`RemoveEnvironmentCleanupHook:
 * (env) != nullptr`), which aborts the process mid-run or at exit. So no handle kitt creates is
 * ever left for the collector: databases stay reachable until exit, and statements are prepared
 * once per SQL text and reused (kitt's queries are a small fixed set, so the cache stays small),
 * and settings go through exec(), which creates no Statement object.
 * TODO(better-sqlite3 with a GC-safe destructor supports Node 20, e.g. 13.x lowering engines): drop this.
 */
const sqliteHandles = new Set<unknown>();

function withStatementCache(database: Database.Database): Database.Database {
  const statements = new Map<string, Database.Statement>();
  sqliteHandles.add(statements);
  return new Proxy(database, {
    get(target, property) {
      if (property === 'prepare') {
        return (sql: string) => {
          let statement = statements.get(sql);
          if (!statement) {
            statement = target.prepare(sql);
            statements.set(sql, statement);
          }
          return statement;
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function openSqlite(path: string): Kysely<StoreSchema> {
  if (path !== ':memory:') ensureWritableDir(dirname(path));
  let database: Database.Database;
  try {
    database = new Database(path);
    sqliteHandles.add(database);
    // WAL lets `kitt results list` read while a run writes; busy_timeout waits out a second writer
    database.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;');
  } catch (cause) {
    throw new KittError('HOME_NOT_WRITABLE', `cannot open the SQLite store ${path}`, {
      hint: 'set KITT_HOME (or store.url) to a writable folder, or fix the file permissions',
      cause,
    });
  }
  return new Kysely<StoreSchema>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
}

/**
 * A SQLite database for code that drives Kysely on a store file itself (a migration test): kept
 * reachable and with its statements cached, as the store's own (see sqliteHandles), so Node 24's
 * collector never frees a better-sqlite3 object.
 */
export function sqliteDatabaseKeptAlive(path: string): Database.Database {
  const database = new Database(path);
  sqliteHandles.add(database);
  return withStatementCache(database);
}

function openPostgres(url: string): Kysely<StoreSchema> {
  // the driver is required for a PostgreSQL store only: a SQLite one never loads it
  const { Pool } = createRequire(import.meta.url)('pg') as typeof pg;
  const pool = new Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5000 });
  // an idle client that loses its server must not crash kitt; the next query reports it
  pool.on('error', () => {});
  return new Kysely<StoreSchema>({ dialect: new PostgresDialect({ pool }) });
}

/** Brings the schema to the latest migration; safe to run every time (applied ones are skipped). */
export async function migrateStore(db: Kysely<unknown>, dialect: StoreDialect): Promise<string[]> {
  const provider = migrationProvider(dialect);
  // Kysely looks for its bookkeeping tables in every schema it can see: another schema's
  // kysely_migration (a second kitt store in the same database) would pass for this one's, and
  // the migrations then fail on a table that is not in the search path. Name the schema in use.
  const schema =
    dialect === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
      : undefined;
  const migrator = schema ? schemaScopedMigrator(db, schema, provider) : new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Opens the results store and migrates it: a `postgres://` URL opens PostgreSQL, anything else is
 * a SQLite file path (its folder is created). A folder kitt cannot write is HOME_NOT_WRITABLE; a
 * database it cannot reach or migrate is STORE_FAILED. The URL is revealed only to the pg pool;
 * `location` and every message show it with the password removed.
 */
export async function openStore(urlOrPath: string | Secret): Promise<Store> {
  const url = revealed(urlOrPath);
  const postgres = isPostgresUrl(url);
  const dialect: StoreDialect = postgres ? 'postgres' : 'sqlite';
  const location = postgres ? redactUrl(url) : url === ':memory:' ? url : resolve(url);
  const db = postgres ? openPostgres(url) : openSqlite(location);
  try {
    await migrateStore(db as Kysely<unknown>, dialect);
  } catch (cause) {
    await db.destroy().catch(() => {});
    throw storeFailed(
      'open',
      location,
      cause,
      postgres
        ? 'check that PostgreSQL is running and the URL, user and password are right'
        : 'check that the file is a kitt store and not in use by a newer kitt',
    );
  }
  return createStore(db, dialect, location);
}

function createStore(db: Kysely<StoreSchema>, dialect: StoreDialect, location: string): Store {
  let closed: Promise<void> | undefined;
  const guard = async <T>(action: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (cause) {
      if (cause instanceof KittError) throw cause;
      throw storeFailed(action, location, cause, 'check the database is reachable and writable');
    }
  };
  const close = () => {
    closed ??= db.destroy();
    return closed;
  };
  const getRun = (id: string) =>
    guard('read', async () => {
      const row = await db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toRun(row) : undefined;
    });
  return {
    dialect,
    location,
    recordRunStarted: (run: RunStarted) =>
      guard('write', async () => {
        const startedAt = run.startedAt ?? new Date();
        const row = toRunRow({
          ...run,
          id: run.id ?? newRunId(startedAt),
          startedAt: startedAt.toISOString(),
          finishedAt: undefined,
          status: 'running',
          modelSha256: run.modelSha256,
          modelSizeBytes: run.modelSizeBytes,
          hardwareFingerprint: run.hardwareFingerprint,
          hardware: run.hardware,
          config: run.config,
          limits: run.limits,
          metrics: undefined,
          error: undefined,
          resultPath: run.resultPath,
          owner: run.owner,
        });
        await db.insertInto('runs').values(row).execute();
        return toRun({ ...row, hardware: run.hardware ?? null, limits: run.limits ?? null });
      }),
    recordRunFinished: (id: string, finished: RunFinished) =>
      guard('write', async () => {
        const update = {
          status: finished.status,
          finished_at: (finished.finishedAt ?? new Date()).toISOString(),
          metrics: toJson(finished.metrics),
          error: finished.error === undefined ? null : redactUrl(finished.error),
          ...(finished.resultPath !== undefined ? { result_path: finished.resultPath } : {}),
        };
        const result = await db.updateTable('runs').set(update).where('id', '=', id).executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) {
          throw new KittError('STORE_FAILED', `no run ${id} in the results store at ${location}`, {
            hint: 'record the run as started first (kitt results list shows the runs there are)',
          });
        }
        return (await getRun(id))!;
      }),
    importRun: (run) =>
      guard('write', async () => {
        const row = toRunRow(run);
        const inserted = await db
          .insertInto('runs')
          .values(row)
          .onConflict((conflict) => conflict.column('id').doNothing())
          .returning('id')
          .executeTakeFirst();
        if (inserted) return { outcome: 'created' as const, run: (await getRun(run.id))! };
        const { id, ...columns } = row;
        let update = db.updateTable('runs').set(columns).where('id', '=', id);
        // a pushed `running` row replaces only a `running` one: a finished run never goes back
        if (run.status === 'running') update = update.where('status', '=', 'running');
        const updated = await update.executeTakeFirst();
        const outcome = Number(updated.numUpdatedRows) === 1 ? ('replaced' as const) : ('kept' as const);
        return { outcome, run: (await getRun(id))! };
      }),
    listRuns: (options = {}) =>
      guard('read', async () => {
        let query = db.selectFrom('runs').selectAll();
        if (options.engine !== undefined) query = query.where('engine', '=', options.engine);
        if (options.status !== undefined) query = query.where('status', '=', options.status);
        const rows = await query
          .orderBy('started_at', 'desc')
          .orderBy('id', 'desc')
          .limit(options.limit ?? 20)
          .execute();
        return rows.map(toRun);
      }),
    getRun,
    queryRuns: (query) => guard('read', () => queryRuns(db, dialect, query)),
    listHosts: () => guard('read', () => listHosts(db)),
    recordCalibration: (calibration: CalibrationRecord) =>
      guard('write', async () => {
        const row = {
          id: randomUUID(),
          run_id: calibration.runId ?? null,
          engine: calibration.engine,
          limits_key: calibration.limitsKey,
          rate_value: calibration.rateValue,
          unit: calibration.unit,
          report: toJson(calibration.report),
          created_at: (calibration.createdAt ?? new Date()).toISOString(),
        };
        await db.insertInto('calibrations').values(row).execute();
        return toCalibration({ ...row, report: calibration.report ?? null });
      }),
    latestCalibration: (engine: string, limitsKey: string) =>
      guard('read', async () => {
        const row = await db
          .selectFrom('calibrations')
          .selectAll()
          .where('engine', '=', engine)
          .where('limits_key', '=', limitsKey)
          .orderBy('created_at', 'desc')
          .limit(1)
          .executeTakeFirst();
        return row ? toCalibration(row) : undefined;
      }),
    listCalibrations: (options) => guard('read', () => listCalibrations(db, options)),
    ...guardedTokens(apiTokenStore(db), guard),
    ...guardedCampaigns(campaignStore(db), guard),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A stored run as its row: the inverse of toRun, with the config masked and the error redacted as on every write. */
function toRunRow(run: StoredRun): RunsTable {
  return {
    id: run.id,
    started_at: new Date(run.startedAt).toISOString(),
    finished_at: run.finishedAt === undefined ? null : new Date(run.finishedAt).toISOString(),
    status: run.status,
    engine: run.engine,
    mode: run.mode,
    model: run.model,
    model_sha256: run.modelSha256 ?? null,
    model_size_bytes: run.modelSizeBytes ?? null,
    hardware_fingerprint: run.hardwareFingerprint ?? null,
    hardware: toJson(run.hardware),
    config: toConfigJson(run.config),
    limits: toJson(run.limits),
    metrics: toJson(run.metrics),
    result_path: run.resultPath ?? null,
    error: run.error === undefined ? null : redactUrl(run.error),
    owner: run.owner ?? null,
  };
}

type Guard = <T>(action: string, work: () => Promise<T>) => Promise<T>;

/** The token methods with the store's error translation, like every other method. */
function guardedTokens(tokens: ApiTokenStore, guard: Guard): ApiTokenStore {
  return {
    insertApiToken: (token) => guard('write', () => tokens.insertApiToken(token)),
    listApiTokens: () => guard('read', () => tokens.listApiTokens()),
    getApiToken: (id) => guard('read', () => tokens.getApiToken(id)),
    revokeApiToken: (id, at) => guard('write', () => tokens.revokeApiToken(id, at)),
    touchApiToken: (id, at) => guard('write', () => tokens.touchApiToken(id, at)),
  };
}
