import type { TestContext } from 'node:test';
import pg from 'pg';

/** The PostgreSQL server tests use; scripts/ci/40-postgres.sh starts one at the default. */
export const TEST_PG_URL = process.env.KITT_TEST_PG_URL ?? 'postgres://kitt:kitt@127.0.0.1:5432/kitt_test';

/** A schema of its own for one test, with an admin connection to inspect what landed there. */
export interface TestPostgresSchema {
  admin: pg.Client;
  schema: string;
  /** {@link TEST_PG_URL} with `search_path` set to {@link schema}. */
  url: URL;
}

/**
 * A fresh PostgreSQL schema for one test, dropped afterwards. Without a server the test skips
 * locally and fails in CI, where scripts/ci/40-postgres.sh starts one.
 */
export async function postgresTestSchema(t: TestContext): Promise<TestPostgresSchema | undefined> {
  const schema = `kitt_t_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (error) {
    await admin.end().catch(() => {});
    const why = `PostgreSQL at ${TEST_PG_URL.replace(/:[^:@/]*@/, ':***@')} is not reachable (${(error as Error).message})`;
    if (process.env.CI === 'true') throw new Error(`${why}: scripts/ci/40-postgres.sh must start it`);
    t.skip(`${why}; run scripts/ci/40-postgres.sh`);
    return undefined;
  }
  await admin.query(`CREATE SCHEMA ${schema}`);
  t.after(async () => {
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  });
  const url = new URL(TEST_PG_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { admin, schema, url };
}

/** A store URL on a fresh PostgreSQL schema for one test (see {@link postgresTestSchema}). */
export async function postgresStoreUrl(t: TestContext): Promise<string | undefined> {
  return (await postgresTestSchema(t))?.url.toString();
}
