import { type Kysely, type Migration, type MigrationProvider, sql } from 'kysely';

export type StoreDialect = 'sqlite' | 'postgres';

/**
 * Column types that differ between the two databases. Everything else is written once: the same
 * migrations build the same tables on SQLite and PostgreSQL (KITT kept a second, hand-synced DDL
 * for PostgreSQL that nothing ever ran).
 */
function types(dialect: StoreDialect) {
  return dialect === 'postgres'
    ? { json: sql`jsonb`, timestamp: sql`timestamptz`, real: sql`double precision`, bigint: sql`bigint` }
    : { json: sql`text`, timestamp: sql`text`, real: sql`real`, bigint: sql`integer` };
}

const STATUSES_V1 = sql`status in ('running', 'succeeded', 'failed', 'interrupted')`;
const STATUSES_V2 = sql`status in ('running', 'succeeded', 'failed', 'interrupted', 'engine-failed', 'abandoned')`;

function initialSchema(dialect: StoreDialect): Migration {
  const t = types(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('started_at', t.timestamp, (c) => c.notNull())
        .addColumn('finished_at', t.timestamp)
        .addColumn('status', 'text', (c) => c.notNull().check(STATUSES_V1))
        .addColumn('engine', 'text', (c) => c.notNull())
        .addColumn('mode', 'text', (c) => c.notNull())
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('model_sha256', 'text')
        .addColumn('model_size_bytes', t.bigint)
        .addColumn('hardware_fingerprint', 'text')
        .addColumn('hardware', t.json)
        .addColumn('config', t.json)
        .addColumn('limits', t.json)
        .addColumn('metrics', t.json)
        .addColumn('result_path', 'text')
        .addColumn('error', 'text')
        .execute();
      await db.schema.createIndex('runs_started_at').on('runs').column('started_at').execute();
      await db.schema.createIndex('runs_engine_started_at').on('runs').columns(['engine', 'started_at']).execute();
      await db.schema
        .createTable('calibrations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('run_id', 'text', (c) => c.references('runs.id').onDelete('set null'))
        .addColumn('engine', 'text', (c) => c.notNull())
        .addColumn('limits_key', 'text', (c) => c.notNull())
        .addColumn('rate_value', t.real, (c) => c.notNull())
        .addColumn('unit', 'text', (c) => c.notNull())
        .addColumn('report', t.json)
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('calibrations_engine_limits')
        .on('calibrations')
        .columns(['engine', 'limits_key', 'created_at'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('calibrations').execute();
      await db.schema.dropTable('runs').execute();
    },
  };
}

/**
 * Two more statuses (`engine-failed`: the engine ended mid-run and the records so far are kept;
 * `abandoned`: the kitt that ran it died without saying how it ended) and the owner of a running
 * row, so a later kitt can tell a live run from a dead one. SQLite cannot change a CHECK in place:
 * runs is rebuilt, and calibrations around it, because dropping runs while calibrations still
 * references it would set their run_id to null (foreign keys are on).
 */
function statusesAndOwner(dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (dialect === 'postgres') {
        await sql`alter table runs drop constraint if exists runs_status_check`.execute(db);
        await sql`alter table runs add constraint runs_status_check check (${STATUSES_V2})`.execute(db);
        await db.schema.alterTable('runs').addColumn('owner', 'text').execute();
        return;
      }
      const runs = await tableSql(db, 'runs');
      const calibrations = await tableSql(db, 'calibrations');
      const widened = runs
        .replace(/^create table "?runs"?/i, 'create table "runs_v2"')
        .replace(
          /status in \('running', 'succeeded', 'failed', 'interrupted'\)/,
          "status in ('running', 'succeeded', 'failed', 'interrupted', 'engine-failed', 'abandoned')",
        );
      await sql.raw(widened).execute(db);
      await sql`insert into runs_v2 select * from runs`.execute(db);
      await sql`create table calibrations_copy as select * from calibrations`.execute(db);
      await sql`drop table calibrations`.execute(db);
      await sql`drop table runs`.execute(db);
      await sql`alter table runs_v2 rename to runs`.execute(db);
      await sql.raw(calibrations).execute(db);
      await sql`insert into calibrations select * from calibrations_copy`.execute(db);
      await sql`drop table calibrations_copy`.execute(db);
      await db.schema.createIndex('runs_started_at').on('runs').column('started_at').execute();
      await db.schema.createIndex('runs_engine_started_at').on('runs').columns(['engine', 'started_at']).execute();
      await db.schema
        .createIndex('calibrations_engine_limits')
        .on('calibrations')
        .columns(['engine', 'limits_key', 'created_at'])
        .execute();
      await db.schema.alterTable('runs').addColumn('owner', 'text').execute();
    },
  };
}

/**
 * API tokens of `kitt server`: a public id to find the row, and the secret's scrypt hash with its
 * salt and parameters — never the token. A revoked token keeps its row (revoked_at set), so the
 * list shows who had access and until when.
 */
function apiTokens(dialect: StoreDialect): Migration {
  const t = types(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('api_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull().check(sql`scope in ('read', 'write', 'admin')`))
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('last_used_at', t.timestamp)
        .addColumn('revoked_at', t.timestamp)
        .execute();
      await db.schema.createIndex('api_tokens_name').on('api_tokens').column('name').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('api_tokens').execute();
    },
  };
}

/**
 * Campaigns (kitt campaign run): a campaign is a name and the hash of its cells; each cell is one
 * `kitt run` of the matrix, with its state and the run id of every attempt, so a rerun of the same
 * file skips the cells that succeeded. The columns are in campaign-store.ts.
 */
function campaignTables(dialect: StoreDialect): Migration {
  const t = types(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('campaigns')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('content_hash', 'text', (c) => c.notNull())
        .addColumn('source', 'text')
        .addColumn('plan', t.json)
        .addColumn('folder', 'text')
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('updated_at', t.timestamp, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('campaigns_name').on('campaigns').columns(['name', 'updated_at']).execute();
      await db.schema
        .createTable('campaign_cells')
        .addColumn('campaign_id', 'text', (c) => c.notNull().references('campaigns.id').onDelete('cascade'))
        .addColumn('cell_id', 'text', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('content', t.json, (c) => c.notNull())
        .addColumn('estimate_s', t.real)
        .addColumn('state', 'text', (c) =>
          c.notNull().check(sql`state in ('pending', 'running', 'succeeded', 'failed', 'interrupted')`),
        )
        .addColumn('run_id', 'text')
        .addColumn('run_ids', t.json)
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('error', 'text')
        .addColumn('updated_at', t.timestamp, (c) => c.notNull())
        .addPrimaryKeyConstraint('campaign_cells_pk', ['campaign_id', 'cell_id'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('campaign_cells').execute();
      await db.schema.dropTable('campaigns').execute();
    },
  };
}

/**
 * The fleet's two cell states: `dead` (every retry failed, the job dead-lettered) and `cancelled`
 * (its campaign was cancelled). 0004's CHECK knew only the local ones, so marking a cell dead was
 * refused and its campaign never finished. SQLite cannot change a CHECK in place: the table is
 * rebuilt (nothing references it).
 */
function fleetCellStates(dialect: StoreDialect): Migration {
  const states = "state in ('pending', 'running', 'succeeded', 'failed', 'interrupted', 'dead', 'cancelled')";
  return {
    async up(db: Kysely<unknown>) {
      if (dialect === 'postgres') {
        await sql`alter table campaign_cells drop constraint if exists campaign_cells_state_check`.execute(db);
        await sql
          .raw(`alter table campaign_cells add constraint campaign_cells_state_check check (${states})`)
          .execute(db);
        return;
      }
      const widened = (await tableSql(db, 'campaign_cells'))
        .replace(/^create table "?campaign_cells"?/i, 'create table "campaign_cells_v2"')
        .replace(/state in \('pending', 'running', 'succeeded', 'failed', 'interrupted'\)/, states);
      await sql.raw(widened).execute(db);
      await sql`insert into campaign_cells_v2 select * from campaign_cells`.execute(db);
      await sql`drop table campaign_cells`.execute(db);
      await sql`alter table campaign_cells_v2 rename to campaign_cells`.execute(db);
    },
  };
}

async function tableSql(db: Kysely<unknown>, table: string): Promise<string> {
  const { rows } = await sql<{
    sql: string;
  }>`select sql from sqlite_master where type = 'table' and name = ${table}`.execute(db);
  return rows[0]!.sql;
}

/**
 * Every migration, in order, keyed by a name that sorts by version. Add new ones at the end with
 * the next number; never edit one that has shipped.
 */
export function storeMigrations(dialect: StoreDialect): Record<string, Migration> {
  return {
    '0001_runs_and_calibrations': initialSchema(dialect),
    '0002_run_statuses_and_owner': statusesAndOwner(dialect),
    '0003_api_tokens': apiTokens(dialect),
    '0004_campaigns': campaignTables(dialect),
    '0005_fleet_cell_states': fleetCellStates(dialect),
  };
}

/** A static provider: migrations live in code, so a bundled or installed kitt needs no folder. */
export function migrationProvider(dialect: StoreDialect): MigrationProvider {
  return { getMigrations: async () => storeMigrations(dialect) };
}
