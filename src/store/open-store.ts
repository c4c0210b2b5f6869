import { randomUUID } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { type Generated, Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { KittError } from '../core/errors.js';
import { newRunId } from '../core/ids.js';
import { ensureWritableDir, homePaths } from '../core/kitt-home.js';
import { redactUrl, revealed, SECRET_ENV_NAME, SECRET_MASK, type Secret } from '../core/secret.js';
import { migrationProvider, type StoreDialect } from './migrations.js';
import type {
  CalibrationRecord,
  RunFinished,
  RunStarted,
  RunStatus,
  Store,
  StoredCalibration,
  StoredRun,
} from './store-types.js';

interface RunsTable {
  id: string;
  started_at: string | Date;
  finished_at: string | Date | null;
  status: RunStatus;
  engine: string;
  mode: string;
  model: string;
  model_sha256: string | null;
  model_size_bytes: number | string | null;
  hardware_fingerprint: string | null;
  hardware: unknown;
  config: unknown;
  limits: unknown;
  metrics: unknown;
  result_path: string | null;
  error: string | null;
  owner: string | null;
}

interface CalibrationsTable {
  id: Generated<string>;
  run_id: string | null;
  engine: string;
  limits_key: string;
  rate_value: number;
  unit: string;
  report: unknown;
  created_at: string | Date;
}

interface StoreSchema {
  runs: RunsTable;
  calibrations: CalibrationsTable;
}

/** `<kitt home>/kitt.db`: the default store. */
export function defaultStorePath(home: string): string {
  return homePaths(home).store;
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(url);
}

// JSON goes in as text on both databases (PostgreSQL casts it to jsonb); it comes back parsed from
// jsonb and as text from SQLite. Timestamps go in as ISO-8601 and come back as Date (timestamptz) or text.
const toJson = (value: unknown) => (value === undefined ? null : JSON.stringify(value));
/**
 * The config column as stored: a Secret serialises as the mask already; this also masks a plain
 * string under a credential-like key (token, password, HF_TOKEN) and the credentials in any URL,
 * so a config built by hand cannot put a secret in the store either.
 */
const toConfigJson = (value: unknown) =>
  value === undefined
    ? null
    : JSON.stringify(value, (key, inner: unknown) =>
        typeof inner !== 'string' ? inner : SECRET_ENV_NAME.test(key) ? SECRET_MASK : redactUrl(inner),
      );
const fromJson = (value: unknown) =>
  typeof value === 'string' ? (JSON.parse(value) as unknown) : (value ?? undefined);
// rows written before the config was masked are not rewritten, but they are read masked
const fromConfigJson = (value: unknown) => {
  const config = fromJson(value);
  return config === undefined ? undefined : (JSON.parse(toConfigJson(config)!) as unknown);
};
const toIso = (value: string | Date | null) =>
  value === null ? undefined : value instanceof Date ? value.toISOString() : new Date(value).toISOString();
const orUndefined = <T>(value: T | null) => (value === null ? undefined : value);

function toRun(row: RunsTable): StoredRun {
  return {
    id: row.id,
    startedAt: toIso(row.started_at)!,
    finishedAt: toIso(row.finished_at),
    status: row.status,
    engine: row.engine,
    mode: row.mode,
    model: row.model,
    modelSha256: orUndefined(row.model_sha256),
    modelSizeBytes: row.model_size_bytes === null ? undefined : Number(row.model_size_bytes),
    hardwareFingerprint: orUndefined(row.hardware_fingerprint),
    hardware: fromJson(row.hardware),
    config: fromConfigJson(row.config),
    limits: fromJson(row.limits),
    metrics: fromJson(row.metrics),
    resultPath: orUndefined(row.result_path),
    error: row.error === null ? undefined : redactUrl(row.error),
    owner: orUndefined(row.owner),
  };
}

function toCalibration(row: Omit<CalibrationsTable, 'id'> & { id: string }): StoredCalibration {
  return {
    id: row.id,
    runId: orUndefined(row.run_id),
    engine: row.engine,
    limitsKey: row.limits_key,
    rateValue: Number(row.rate_value),
    unit: row.unit,
    report: fromJson(row.report),
    createdAt: toIso(row.created_at)!,
  };
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

function openPostgres(url: string): Kysely<StoreSchema> {
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5000 });
  // an idle client that loses its server must not crash kitt; the next query reports it
  pool.on('error', () => {});
  return new Kysely<StoreSchema>({ dialect: new PostgresDialect({ pool }) });
}

/** Brings the schema to the latest migration; safe to run every time (applied ones are skipped). */
export async function migrateStore(db: Kysely<unknown>, dialect: StoreDialect): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider(dialect) });
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
        const row: RunsTable = {
          id: run.id ?? newRunId(startedAt),
          started_at: startedAt.toISOString(),
          finished_at: null,
          status: 'running',
          engine: run.engine,
          mode: run.mode,
          model: run.model,
          model_sha256: run.modelSha256 ?? null,
          model_size_bytes: run.modelSizeBytes ?? null,
          hardware_fingerprint: run.hardwareFingerprint ?? null,
          hardware: toJson(run.hardware),
          config: toConfigJson(run.config),
          limits: toJson(run.limits),
          metrics: null,
          result_path: run.resultPath ?? null,
          error: null,
          owner: run.owner ?? null,
        };
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
    close,
    [Symbol.asyncDispose]: close,
  };
}
