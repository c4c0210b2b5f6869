import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { KittError } from '../core/errors.js';
import { SECRET_MASK, Secret } from '../core/secret.js';
import { postgresStoreUrl, postgresTestSchema } from '../testing/test-postgres.js';
import { storeMigrations } from './migrations.js';
import { migrateStore, openStore, sqliteDatabaseKeptAlive } from './open-store.js';
import { schemaScopedMigrator } from './schema-scoped-migrator.js';
import type { Store } from './store-types.js';

/**
 * Raw better-sqlite3 handles the tests open stay reachable until exit: on Node 24 its destructor
 * aborts the process when the collector frees one (see open-store.ts), and a test that churns the
 * heap makes that collection come.
 */
const rawHandles: unknown[] = [];
function keptAlive<T>(handle: T): T {
  rawHandles.push(handle);
  return handle;
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function storesUnderTest(t: TestContext): Promise<Array<{ name: string; url: string }>> {
  const pgUrl = await postgresStoreUrl(t);
  return [
    { name: 'sqlite', url: join(tempDir(t), 'nested', 'kitt.db') },
    ...(pgUrl ? [{ name: 'postgres', url: pgUrl }] : []),
  ];
}

async function roundTripRun(store: Store) {
  const hardware = { cpu: { model: 'AMD EPYC 7B13', cores: 2 }, gpus: [] };
  const started = await store.recordRunStarted({
    id: '20260101T000000000Z-abcdef',
    startedAt: new Date('2026-01-01T00:00:00.000Z'),
    engine: 'embedded',
    mode: 'embedded',
    model: '/models/synthetic-tiny.gguf',
    modelSha256: 'a'.repeat(64),
    modelSizeBytes: 5_000_000_000,
    hardwareFingerprint: 'f'.repeat(64),
    hardware,
    config: { run: { engine: 'embedded', load: { concurrency: 4 } } },
    limits: { cpus: 1, memoryBytes: 1073741824 },
  });
  assert.equal(started.status, 'running');
  const running = await store.getRun(started.id);
  assert.equal(running?.status, 'running');
  assert.equal(running?.finishedAt, undefined);
  const metrics = { requests: 32, ttftMs: { p50: 12.5, p99: 40.25 }, labels: ['a', 'b'] };
  await store.recordRunFinished(started.id, {
    status: 'succeeded',
    finishedAt: new Date('2026-01-01T00:01:00.000Z'),
    metrics,
    resultPath: '/home/kitt/results/x',
  });
  const run = await store.getRun(started.id);
  assert.deepEqual(run, {
    id: '20260101T000000000Z-abcdef',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:01:00.000Z',
    status: 'succeeded',
    engine: 'embedded',
    mode: 'embedded',
    model: '/models/synthetic-tiny.gguf',
    modelSha256: 'a'.repeat(64),
    modelSizeBytes: 5_000_000_000,
    hardwareFingerprint: 'f'.repeat(64),
    hardware,
    config: { run: { engine: 'embedded', load: { concurrency: 4 } } },
    limits: { cpus: 1, memoryBytes: 1073741824 },
    metrics,
    resultPath: '/home/kitt/results/x',
    error: undefined,
    owner: undefined,
  });
}

test('a run row round-trips on SQLite and PostgreSQL', async (t) => {
  for (const { name, url } of await storesUnderTest(t)) {
    await t.test(name, async () => {
      await using store = await openStore(url);
      await roundTripRun(store);
    });
  }
});

test('migrations run on a fresh database and a second run changes nothing', async (t) => {
  for (const { name, url } of await storesUnderTest(t)) {
    await t.test(name, async () => {
      {
        await using store = await openStore(url);
        await store.recordRunStarted({ engine: 'vllm', mode: 'docker', model: 'm' });
      }
      await using again = await openStore(url);
      const runs = await again.listRuns();
      assert.equal(runs.length, 1, 'reopening keeps the data');
      // migrating explicitly again applies nothing
      const { Kysely, PostgresDialect, SqliteDialect } = await import('kysely');
      if (name === 'sqlite') {
        const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: sqliteDatabaseKeptAlive(url) }) });
        assert.deepEqual(await migrateStore(db, 'sqlite'), []);
        await db.destroy();
      } else {
        const db = new Kysely<unknown>({
          dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }),
        });
        assert.deepEqual(await migrateStore(db, 'postgres'), []);
        await db.destroy();
      }
    });
  }
});

test('runs list newest first, filter by engine and honour the limit', async (t) => {
  for (const { name, url } of await storesUnderTest(t)) {
    await t.test(name, async () => {
      await using store = await openStore(url);
      for (const [i, engine] of ['embedded', 'vllm', 'embedded', 'ollama'].entries()) {
        await store.recordRunStarted({
          engine,
          mode: 'docker',
          model: `m${i}`,
          startedAt: new Date(Date.UTC(2026, 0, 1, 0, i)),
        });
      }
      assert.deepEqual(
        (await store.listRuns()).map((r) => r.model),
        ['m3', 'm2', 'm1', 'm0'],
      );
      assert.deepEqual(
        (await store.listRuns({ engine: 'embedded' })).map((r) => r.model),
        ['m2', 'm0'],
      );
      assert.equal((await store.listRuns({ limit: 2 })).length, 2);
      assert.equal(await store.getRun('no-such-run'), undefined);
    });
  }
});

test('finishing a run that was never started is a store error', async (t) => {
  await using store = await openStore(join(tempDir(t), 'kitt.db'));
  await assert.rejects(
    store.recordRunFinished('missing', { status: 'failed', error: 'boom' }),
    (error: unknown) =>
      error instanceof KittError && error.code === 'STORE_FAILED' && /no run missing/.test(error.message),
  );
});

test('the latest calibration for an engine and limits key wins', async (t) => {
  for (const { name, url } of await storesUnderTest(t)) {
    await t.test(name, async () => {
      await using store = await openStore(url);
      const run = await store.recordRunStarted({ engine: 'llamacpp', mode: 'docker', model: 'm' });
      await store.recordCalibration({
        runId: run.id,
        engine: 'llamacpp',
        limitsKey: '1cpu-2GiB',
        rateValue: 2.5,
        unit: 'requests/s',
        report: { windows: 3 },
        createdAt: new Date('2026-01-01T00:00:00Z'),
      });
      await store.recordCalibration({
        engine: 'llamacpp',
        limitsKey: '1cpu-2GiB',
        rateValue: 3.75,
        unit: 'requests/s',
        report: { windows: 5 },
        createdAt: new Date('2026-01-02T00:00:00Z'),
      });
      await store.recordCalibration({ engine: 'llamacpp', limitsKey: '2cpu-4GiB', rateValue: 9, unit: 'tokens/s' });
      const latest = await store.latestCalibration('llamacpp', '1cpu-2GiB');
      assert.equal(latest?.rateValue, 3.75);
      assert.deepEqual(latest?.report, { windows: 5 });
      assert.equal(latest?.createdAt, '2026-01-02T00:00:00.000Z');
      assert.equal(await store.latestCalibration('vllm', '1cpu-2GiB'), undefined);
    });
  }
});

test('a store folder kitt cannot create is HOME_NOT_WRITABLE with a hint', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'a-file');
  writeFileSync(file, '');
  await assert.rejects(
    openStore(join(file, 'home', 'kitt.db')),
    (error: unknown) =>
      // outside KITT_HOME the hint names the fix for any folder; inside, KITT_HOME itself (kitt-home.test.ts)
      error instanceof KittError && error.code === 'HOME_NOT_WRITABLE' && /writable folder/.test(error.hint ?? ''),
  );
});

test('an unreachable PostgreSQL is STORE_FAILED with the password masked', async () => {
  await assert.rejects(
    openStore('postgres://kitt:topsecret@127.0.0.1:1/kitt'),
    (error: unknown) =>
      error instanceof KittError &&
      error.code === 'STORE_FAILED' &&
      !error.message.includes('topsecret') &&
      /PostgreSQL is running/.test(error.hint ?? ''),
  );
});

test('the config and error columns hold no secret, whether it comes wrapped or in plain text', async (t) => {
  for (const { name, url } of await storesUnderTest(t)) {
    await using store = await openStore(url);
    const config = {
      store: { url: Secret.url('postgres://kitt:wrapped-secret@db/kitt') },
      export: {
        influx: { url: 'http://u:url-secret@influx:8086', token: 'plain-secret', password: new Secret('pw-secret') },
      },
      engines: { vllm: { env: { HF_TOKEN: 'hf-secret', VLLM_LOGGING_LEVEL: 'DEBUG' } } },
    };
    const started = await store.recordRunStarted({ engine: 'embedded', mode: 'embedded', model: 'm', config });
    await store.recordRunFinished(started.id, {
      status: 'failed',
      error: 'cannot reach http://influx:8086/write?db=kitt&u=me&p=query-secret',
    });
    const run = await store.getRun(started.id);
    const stored = JSON.stringify(run);
    assert.doesNotMatch(stored, /secret/, `${name}: ${stored}`);
    assert.deepEqual(run?.config, {
      store: { url: 'postgres://kitt:********@db/kitt' },
      export: { influx: { url: 'http://u:********@influx:8086', token: '********', password: '********' } },
      engines: { vllm: { env: { HF_TOKEN: '********', VLLM_LOGGING_LEVEL: 'DEBUG' } } },
    });
    assert.equal(run?.error, 'cannot reach http://influx:8086/write?db=kitt&u=me&p=********');
    if (name === 'sqlite') {
      await store.close();
      const bytes = Buffer.concat([
        readFileSync(url),
        ...(existsSync(`${url}-wal`) ? [readFileSync(`${url}-wal`)] : []),
      ]);
      assert.ok(!bytes.includes('secret'), 'the database file holds a secret');
    }
  }
});

test('a row stored in clear by an earlier kitt is read with its secrets masked', async (t) => {
  const url = join(tempDir(t), 'kitt.db');
  const store = await openStore(url);
  const started = await store.recordRunStarted({ engine: 'embedded', mode: 'embedded', model: 'm' });
  await store.close();
  // what kitt wrote before secrets were a type: the config as plain text
  const old = JSON.stringify({
    export: { influx: { token: 'old-secret' } },
    store: { url: 'postgres://k:old-pw@db/k' },
  });
  // exec() and a handle kept until exit: no better-sqlite3 object is left for the collector (open-store.ts)
  const database = keptAlive(new Database(url));
  database.exec(`UPDATE runs SET config = '${old}', error = 'at postgres://k:old-pw@db/k' WHERE id = '${started.id}'`);
  database.close();
  await using reopened = await openStore(url);
  const run = await reopened.getRun(started.id);
  assert.doesNotMatch(JSON.stringify(run), /old-secret|old-pw/);
  assert.deepEqual(run?.config, {
    export: { influx: { token: '********' } },
    store: { url: 'postgres://k:********@db/k' },
  });
});

test('a store made before engine-failed and abandoned keeps its runs and calibrations when it gains them', async (t) => {
  for (const { name, url } of await storesUnderTest(t)) {
    await t.test(name, async () => {
      const { Kysely, Migrator, PostgresDialect, SqliteDialect } = await import('kysely');
      const dialect = name === 'sqlite' ? 'sqlite' : 'postgres';
      let db: InstanceType<typeof Kysely<unknown>>;
      if (dialect === 'sqlite') {
        const { mkdirSync } = await import('node:fs');
        const { dirname } = await import('node:path');
        mkdirSync(dirname(url), { recursive: true });
        db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: sqliteDatabaseKeptAlive(url) }) });
      } else {
        db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }) });
      }
      const first = storeMigrations(dialect)['0001_runs_and_calibrations']!;
      const { sql: query } = await import('kysely');
      // its own schema named, as kitt names it: other schemas in the test database hold Kysely's tables too
      const schema =
        dialect === 'postgres'
          ? (await query<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s
          : undefined;
      const provider = { getMigrations: async () => ({ '0001_runs_and_calibrations': first }) };
      const v1 = schema ? schemaScopedMigrator(db, schema, provider) : new Migrator({ db, provider });
      assert.equal((await v1.migrateToLatest()).error, undefined);
      const { sql } = await import('kysely');
      await sql`insert into runs (id, started_at, status, engine, mode, model) values ('old', '2026-01-01T00:00:00.000Z', 'succeeded', 'llamacpp', 'docker', 'm')`.execute(
        db,
      );
      await sql`insert into calibrations (id, run_id, engine, limits_key, rate_value, unit, created_at) values ('c1', 'old', 'llamacpp', '1cpu', 3, 'req/s', '2026-01-01T00:00:00.000Z')`.execute(
        db,
      );
      await db.destroy();
      await using store = await openStore(url);
      assert.equal((await store.getRun('old'))?.status, 'succeeded', 'the old run is kept');
      assert.equal(
        (await store.latestCalibration('llamacpp', '1cpu'))?.runId,
        'old',
        'its calibration still points at it',
      );
      const run = await store.recordRunStarted({ engine: 'llamacpp', mode: 'docker', model: 'm', owner: 'u@h:1:2' });
      await store.recordRunFinished(run.id, { status: 'engine-failed', metrics: { requests: 3 } });
      const other = await store.recordRunStarted({ engine: 'embedded', mode: 'embedded', model: 'm' });
      await store.recordRunFinished(other.id, { status: 'abandoned' });
      assert.equal((await store.getRun(run.id))?.status, 'engine-failed');
      assert.equal((await store.getRun(run.id))?.owner, 'u@h:1:2');
      assert.equal((await store.getRun(other.id))?.status, 'abandoned');
      await assert.rejects(store.recordRunFinished(other.id, { status: 'bogus' as 'failed' }), 'the CHECK still holds');
    });
  }
});

test('importRun creates a row, replaces it with the same or a later state, and never takes a finished run back', async (t) => {
  for (const { name, url } of await storesUnderTest(t)) {
    await using store = await openStore(url);
    const running = {
      id: '20260102T000000000Z-abcdef',
      startedAt: '2026-01-02T00:00:00.000Z',
      finishedAt: undefined,
      status: 'running' as const,
      engine: 'embedded',
      mode: 'embedded',
      model: 'tiny.gguf',
      modelSha256: undefined,
      modelSizeBytes: 1234,
      hardwareFingerprint: 'f'.repeat(64),
      hardware: { cpu: { model: 'x' } },
      config: { run: { apiKey: 'hunter2' } },
      limits: undefined,
      metrics: undefined,
      resultPath: undefined,
      error: undefined,
      owner: undefined,
    };
    const created = await store.importRun(running);
    assert.equal(created.outcome, 'created', name);
    assert.deepEqual((created.run.config as { run: { apiKey: string } }).run.apiKey, SECRET_MASK, `${name}: masked`);
    assert.equal((await store.importRun(running)).outcome, 'replaced', `${name}: the same state again`);
    const finished = {
      ...running,
      status: 'succeeded' as const,
      finishedAt: '2026-01-02T00:01:00.000Z',
      metrics: { requests: 32 },
      resultPath: '/srv/kitt/runs/x',
    };
    const replaced = await store.importRun(finished);
    assert.equal(replaced.outcome, 'replaced', name);
    assert.deepEqual(replaced.run.metrics, { requests: 32 });
    assert.equal(replaced.run.resultPath, '/srv/kitt/runs/x');
    const kept = await store.importRun(running);
    assert.equal(kept.outcome, 'kept', `${name}: a running row does not overwrite a finished one`);
    assert.equal(kept.run.status, 'succeeded');
    assert.equal(kept.run.finishedAt, '2026-01-02T00:01:00.000Z');
    const all = await Promise.all([store.importRun(finished), store.importRun(finished)]);
    assert.deepEqual(
      all.map((r) => r.outcome),
      ['replaced', 'replaced'],
    );
    assert.equal((await store.listRuns()).length, 1, `${name}: one row, however often it is imported`);
  }
});

test('two kitt stores in one PostgreSQL database, each in its own schema, migrate and keep their runs apart', async (t) => {
  const first = await postgresTestSchema(t);
  const second = await postgresTestSchema(t);
  if (!first || !second) return;
  for (const [pgSchema, id] of [
    [first, 'run-in-first'],
    [second, 'run-in-second'],
  ] as const) {
    await using store = await openStore(pgSchema.url.toString());
    await store.recordRunStarted({ id, engine: 'llamacpp', mode: 'docker', model: 'm' });
  }
  await using reopened = await openStore(second.url.toString());
  assert.deepEqual(
    (await reopened.listRuns()).map((run) => run.id),
    ['run-in-second'],
  );
  const { rows } = await first.admin.query(`select count(*)::int as n from ${first.schema}.kysely_migration`);
  assert.ok(rows[0].n >= 4, 'the first schema has its own migration table');
});

test('a store opens while other schemas of the same database are created and dropped around it', async (t) => {
  const base = await postgresTestSchema(t);
  if (!base) return;
  // other tests' stores come and go in the shared test database; opening must not look at them
  let churning = true;
  const churn = (async () => {
    let dropped = 0;
    for (let i = 0; churning; i++) {
      const other = `${base.schema}_churn_${i}`;
      await base.admin.query(`CREATE SCHEMA ${other}; CREATE TABLE ${other}.t (id serial primary key, v text)`);
      await base.admin.query(`DROP SCHEMA ${other} CASCADE`);
      dropped++;
    }
    return dropped;
  })();
  try {
    for (let i = 0; i < 20; i++) {
      const schema = `${base.schema}_s${i}`;
      await base.admin.query(`CREATE SCHEMA ${schema}`);
      try {
        const url = new URL(base.url);
        url.searchParams.set('options', `-c search_path=${schema}`);
        await using store = await openStore(url.toString());
        assert.deepEqual(await store.listRuns(), []);
      } finally {
        await base.admin.query(`DROP SCHEMA ${schema} CASCADE`);
      }
    }
  } finally {
    churning = false;
    await churn.catch(() => 0);
  }
  assert.ok((await churn) > 0, 'schemas were dropped while the stores opened');
});
