import { type DatabaseIntrospector, type Kysely, type MigrationProvider, Migrator, sql } from 'kysely';

/**
 * Kysely's PostgreSQL introspector lists the tables of every schema in the database, calling
 * `has_schema_privilege(name)` on each: a schema dropped while that query runs (another kitt store
 * in the same database being removed) fails this store's open with `schema "…" does not exist`.
 * The migrator only asks whether its two bookkeeping tables and their schema exist, so it gets an
 * introspector that looks at the one schema kitt uses and nothing else.
 */
function schemaIntrospector(db: Kysely<unknown>, schema: string): DatabaseIntrospector {
  return {
    async getSchemas() {
      const { rows } = await sql<{ name: string }>`
        select nspname as name from pg_catalog.pg_namespace where nspname = ${schema}`.execute(db);
      return rows;
    },
    async getTables() {
      const { rows } = await sql<{ name: string }>`
        select tablename as name from pg_catalog.pg_tables where schemaname = ${schema}`.execute(db);
      return rows.map(({ name }) => ({ name, schema, isView: false, columns: [] }));
    },
    async getMetadata() {
      return { tables: await this.getTables() };
    },
  };
}

/** A migrator whose bookkeeping lives in, and is looked up only in, `schema`. */
export function schemaScopedMigrator(db: Kysely<unknown>, schema: string, provider: MigrationProvider): Migrator {
  const introspection = schemaIntrospector(db, schema);
  // Kysely keeps its state in private fields, so every other member is read from, and bound to, the real instance
  const scoped = new Proxy(db, {
    get(target, property) {
      if (property === 'introspection') return introspection;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return new Migrator({ db: scoped, provider, migrationTableSchema: schema });
}
