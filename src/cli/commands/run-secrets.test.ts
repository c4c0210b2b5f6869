import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { EXIT_CODES } from '../../core/errors.js';
import { type KittResult, kittSync, tempHome } from '../../testing/kitt-cli.js';
import { postgresTestSchema, TEST_PG_URL } from '../../testing/test-postgres.js';

const SHORT_RUN = ['run', '--requests', '2', '--warmup', '0', '--prompt-tokens', '8', '--output-tokens', '8'];

/** A loopback port nothing listens on, so every InfluxDB write fails (and its message is checked). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Every file under `dir`, as bytes: the SQLite database and its WAL included. */
function filesUnder(dir: string): Array<[string, Buffer]> {
  return readdirSync(dir).flatMap((name): Array<[string, Buffer]> => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [[path, readFileSync(path)]];
  });
}

function assertNoSecret(secrets: readonly string[], home: string, outputs: readonly KittResult[], extra = ''): void {
  const files = filesUnder(home);
  assert.ok(
    files.some(([path]) => path.endsWith('run.json')),
    'the run wrote its result directory',
  );
  for (const secret of secrets) {
    for (const [path, bytes] of files) assert.ok(!bytes.includes(secret), `${secret} is in ${path}`);
    for (const output of outputs) {
      assert.ok(!output.stdout.includes(secret), `${secret} is in stdout:\n${output.stdout}`);
      assert.ok(!output.stderr.includes(secret), `${secret} is in stderr:\n${output.stderr}`);
    }
    assert.ok(!extra.includes(secret), `${secret} is in the database: ${extra}`);
  }
}

/** What a person runs after the run: every command that prints config or the stored run. */
function inspectRun(env: Record<string, string>): KittResult[] {
  const listed = kittSync(['results', 'list', '--json'], env);
  assert.equal(listed.code, 0, listed.stderr);
  const [run] = JSON.parse(listed.stdout) as Array<{ id: string; config: unknown }>;
  assert.ok(run, 'the run is in the store');
  const outputs = [
    listed,
    kittSync(['results', 'show', run.id], env),
    kittSync(['results', 'show', run.id, '--json'], env),
    kittSync(['config', 'show'], env),
    kittSync(['config', 'show', '--json'], env),
  ];
  for (const output of outputs) assert.equal(output.code, 0, output.stderr);
  return outputs;
}

test('a run with an InfluxDB token and passwords in the environment writes and prints none of them', async (t) => {
  const home = tempHome(t);
  const port = await closedPort();
  // a secret from the file too (kept outside the home): the engine environment is stored with the config
  const configFile = join(tempHome(t, 'kitt-config-'), 'kitt.yaml');
  writeFileSync(configFile, 'engines:\n  vllm:\n    env: { HF_TOKEN: hf-Fi1eSecret }\n');
  const env = {
    KITT_HOME: home,
    KITT_CONFIG: configFile,
    KITT_INFLUX_URL: `http://influxer:Ur1Pa55-b7@127.0.0.1:${port}`,
    KITT_INFLUX_ORG: 'kitt',
    KITT_INFLUX_BUCKET: 'runs',
    KITT_INFLUX_TOKEN: 'InfluxT0ken-5e2c',
    KITT_INFLUX_USERNAME: 'influxer',
    KITT_INFLUX_PASSWORD: 'InfluxPa55-3d9f',
  };
  const run = kittSync(SHORT_RUN, env);
  assert.equal(run.code, 0, run.stderr);
  // the InfluxDB failure is reported, with the URL's password masked
  assert.match(run.stderr, /InfluxDB at http:\/\/influxer:\*{8}@127\.0\.0\.1:\d+ refused the points/);
  const outputs = inspectRun(env);
  const runJson = readFileSync(filesUnder(home).find(([path]) => path.endsWith('run.json'))![0], 'utf8');
  assert.match(runJson, /"token": "\*{8}"/, 'run.json says a token was set');
  assertNoSecret(['Ur1Pa55-b7', 'InfluxT0ken-5e2c', 'InfluxPa55-3d9f', 'hf-Fi1eSecret'], home, [run, ...outputs]);
});

/** The test server's URL with its password percent-encoded: the same login, a text found nowhere else. */
function encodedPasswordUrl(url: URL): { url: URL; secret: string } {
  const password = decodeURIComponent(url.password);
  const secret = [...password].map((char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`).join('');
  const encoded = new URL(url);
  encoded.password = secret;
  return { url: encoded, secret };
}

test('a run into PostgreSQL keeps the store password and the InfluxDB 1 password out of every file, row and output', async (t) => {
  const target = await postgresTestSchema(t);
  if (!target) return;
  const home = tempHome(t);
  const port = await closedPort();
  const { url, secret } = encodedPasswordUrl(target.url);
  const env = {
    KITT_HOME: home,
    KITT_STORE_URL: url.toString(),
    KITT_INFLUX_VERSION: '1',
    KITT_INFLUX_URL: `http://127.0.0.1:${port}`,
    KITT_INFLUX_USERNAME: 'influxer',
    KITT_INFLUX_PASSWORD: 'Influx1Pa55-a41',
  };
  const run = kittSync(SHORT_RUN, env);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /cannot reach InfluxDB at http:\/\/127\.0\.0\.1:\d+/);
  const outputs = inspectRun(env);
  const rows = await target.admin.query(`SELECT row_to_json(r)::text AS row FROM ${target.schema}.runs r`);
  assert.equal(rows.rowCount, 1);
  const row = String(rows.rows[0].row);
  assert.match(row, /postgres:\/\/kitt:\*{8}@/, 'the stored config names the store, without its password');
  assertNoSecret([secret, 'Influx1Pa55-a41'], home, [run, ...outputs], row);
});

test('a store URL kitt cannot use is reported without its password', async (t) => {
  const home = tempHome(t);
  const cases: Array<[string, number, RegExp]> = [
    ['ftp://u:FtpPa55-91@127.0.0.1/kitt', EXIT_CODES.CONFIG_INVALID, /ftp:\/\/u:\*{8}@127\.0\.0\.1/],
    [
      `postgres://kitt:Wr0ngPa55-c3@127.0.0.1:${new URL(TEST_PG_URL).port || 5432}/kitt_test`,
      EXIT_CODES.STORE_FAILED,
      /cannot open the results store at postgres:\/\/kitt:\*{8}@127\.0\.0\.1/,
    ],
    [
      `postgres://kitt@127.0.0.1:${await closedPort()}/kitt_test?password=QueryPa55-d8`,
      EXIT_CODES.STORE_FAILED,
      /postgres:\/\/kitt@127\.0\.0\.1:\d+\/kitt_test\?password=\*{8}/,
    ],
  ];
  for (const [storeUrl, code, message] of cases) {
    const result = kittSync(['results', 'list'], { KITT_HOME: home, KITT_STORE_URL: storeUrl });
    assert.equal(result.code, code, result.stderr);
    assert.match(result.stderr, message);
    assert.doesNotMatch(result.stdout + result.stderr, /Pa55/);
  }
});
