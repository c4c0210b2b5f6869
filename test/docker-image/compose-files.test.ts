import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { REPO_ROOT } from './kitt-image.js';

const run = promisify(execFile);

/** `docker-compose config -q` in the file's folder; the error text when it fails. */
async function validate(file: string, env: Record<string, string>): Promise<string | undefined> {
  try {
    await run('docker-compose', ['-f', file, 'config', '-q'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      timeout: 30_000,
    });
    return undefined;
  } catch (error) {
    const failed = error as { code?: string; stderr?: string };
    if (failed.code === 'ENOENT') return 'ENOENT';
    return failed.stderr ?? String(error);
  }
}

const monitoringEnv = { KITT_INFLUX_PASSWORD: 'p', KITT_INFLUX_TOKEN: 't', KITT_GRAFANA_PASSWORD: 'g' };

test('docker-compose validates the kitt compose file', async (t) => {
  const result = await validate('docker-compose.yml', {});
  if (result === 'ENOENT' && process.env.KITT_REQUIRE_DOCKER !== '1') return void t.skip('no docker-compose');
  assert.equal(result, undefined);
});

test('docker-compose validates the monitoring compose file', async (t) => {
  const result = await validate('docker/monitoring/docker-compose.yaml', monitoringEnv);
  if (result === 'ENOENT' && process.env.KITT_REQUIRE_DOCKER !== '1') return void t.skip('no docker-compose');
  assert.equal(result, undefined);
});

test('the kitt compose file limits both services, and kitt reaches Qdrant on loopback, persistent', async () => {
  const { readFile } = await import('node:fs/promises');
  const file = parse(await readFile(`${REPO_ROOT}docker-compose.yml`, 'utf8')) as {
    version: string;
    services: Record<string, Record<string, unknown>>;
    volumes: Record<string, unknown>;
  };
  assert.equal(file.version, '2.4');
  const { kitt, qdrant } = file.services;
  assert.ok(kitt && qdrant);
  for (const service of [kitt, qdrant]) {
    assert.ok(service.mem_limit, 'mem_limit');
    assert.ok(service.cpus, 'cpus');
  }
  assert.ok((kitt.volumes as string[]).includes('./config:/config:ro'));
  assert.deepEqual(kitt.depends_on, ['qdrant']);
  // no variable to export first: the entrypoint, started as root, reads the socket's group itself
  assert.equal(kitt.user, 'root');
  assert.equal(kitt.group_add, undefined);
  assert.match(String(qdrant.image), /^qdrant\/qdrant:v\d+\.\d+\.\d+$/);
  // both on the host network, Qdrant bound to loopback, and kitt's memory URL pointing there
  assert.equal(kitt.network_mode, 'host');
  assert.equal(qdrant.network_mode, 'host');
  const qdrantEnv = qdrant.environment as Record<string, string>;
  assert.equal(qdrantEnv.QDRANT__SERVICE__HOST, '127.0.0.1');
  assert.equal(
    (kitt.environment as Record<string, string>).KITT_MEMORY_URL,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's own interpolation syntax
    '${KITT_MEMORY_URL:-http://127.0.0.1:6333}',
  );
  assert.ok((qdrant.volumes as string[]).some((v) => v.startsWith('qdrant_storage:')));
  // secrets only by reference to the environment
  const env = kitt.environment as Record<string, string>;
  // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's own interpolation syntax
  assert.equal(env.KITT_INFLUX_TOKEN, '${KITT_INFLUX_TOKEN:-}');
});
