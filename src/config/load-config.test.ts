import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { describeError, KittError } from '../core/errors.js';
import { revealed, Secret } from '../core/secret.js';
import { engineConfigOf } from './config-schema.js';
import { describeConfig, describeConfigJson } from './describe-config.js';
import { findConfigFile, loadConfig } from './load-config.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function configError(run: () => unknown): KittError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof KittError, `expected a KittError, got ${error}`);
    assert.equal(error.code, 'CONFIG_INVALID');
    return error;
  }
  assert.fail('expected CONFIG_INVALID');
}

test('a bad value names the file, the key path and the allowed values in one line', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'kitt.yaml');
  writeFileSync(file, 'export:\n  influx: { version: 3 }\n');
  const error = configError(() => loadConfig({ cwd: dir, env: { KITT_HOME: dir } }));
  assert.equal(error.message, `${file}: export.influx.version: expected one of: 1, 2 (got 3)`);
  assert.ok(!error.message.includes('\n'));
  assert.match(error.hint ?? '', /fix export\.influx\.version in /);
});

test('every problem is collected: the first in the message, all in details', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'kitt.yaml');
  writeFileSync(
    file,
    [
      '# my settings',
      'engines:',
      '  llamacpp:',
      '    image: 3',
      '    imgae: typo',
      '    port: 70000',
      'export:',
      '  influx: { version: 3 }',
      'limits: { memory: 4 gigs }',
    ].join('\n'),
  );
  const error = configError(() => loadConfig({ explicitPath: file, env: {} }));
  assert.match(error.message, /engines\.llamacpp\.image: expected a string \(got 3\)$/);
  assert.match(error.hint ?? '', /4 more problems/);
  const issues = (error.details?.issues ?? []) as Array<{ keyPath: string; message: string; where: string }>;
  const byPath = Object.fromEntries(issues.map((issue) => [issue.keyPath, issue.message]));
  assert.equal(byPath['engines.llamacpp.port'], 'expected an integer from 1 to 65535 (got 70000)');
  assert.match(byPath['engines.llamacpp.imgae'] ?? '', /unknown key; allowed keys here: image, port/);
  assert.equal(byPath['export.influx.version'], 'expected one of: 1, 2 (got 3)');
  assert.match(byPath['limits.memory'] ?? '', /a size such as 512m/);
  assert.ok(issues.every((issue) => issue.where === file));
});

test('a bad environment value is blamed on the variable, not the file', (t) => {
  const dir = tempDir(t);
  const error = configError(() => loadConfig({ cwd: dir, env: { KITT_HOME: dir, KITT_PROMETHEUS_PORT: 'abc' } }));
  assert.equal(
    error.message,
    'environment variable KITT_PROMETHEUS_PORT: export.prometheus.port: expected an integer from 1 to 65535 (got "abc")',
  );
});

test('a YAML syntax error names the file and the line', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'kitt.yaml');
  writeFileSync(file, 'run:\n  engine: [embedded\n');
  const error = configError(() => loadConfig({ cwd: dir, env: { KITT_HOME: dir } }));
  assert.match(error.message, new RegExp(`^${file}:\\d+:\\d+: YAML syntax error`));
});

test('--config and KITT_CONFIG must point at a file that exists', (t) => {
  const dir = tempDir(t);
  const error = configError(() => loadConfig({ cwd: dir, env: { KITT_CONFIG: 'missing.yaml' } }));
  assert.match(error.message, /missing\.yaml \(from KITT_CONFIG\) does not exist/);
});

test('the file is found by --config, then KITT_CONFIG, then ./kitt.yaml, then the home', (t) => {
  const dir = tempDir(t);
  const home = join(dir, 'home');
  mkdirSync(home);
  writeFileSync(join(home, 'config.yaml'), '');
  const env = { KITT_HOME: home };
  assert.equal(findConfigFile({ cwd: dir, env })?.path, join(home, 'config.yaml'));
  writeFileSync(join(dir, 'kitt.yaml'), '');
  assert.equal(findConfigFile({ cwd: dir, env })?.path, join(dir, 'kitt.yaml'));
  writeFileSync(join(dir, 'env.yaml'), '');
  assert.equal(findConfigFile({ cwd: dir, env: { ...env, KITT_CONFIG: 'env.yaml' } })?.path, join(dir, 'env.yaml'));
  writeFileSync(join(dir, 'flag.yaml'), '');
  const both = { cwd: dir, env: { ...env, KITT_CONFIG: 'env.yaml' }, explicitPath: 'flag.yaml' };
  assert.equal(findConfigFile(both)?.path, join(dir, 'flag.yaml'));
});

test('environment overrides win over the file and flags win over both, each with its origin', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'kitt.yaml');
  writeFileSync(
    file,
    'run:\n  engine: llamacpp\n  model: /file/model.gguf\n  port: 8081\nexport:\n  prometheus:\n    port: 9100\n',
  );
  const env = { KITT_HOME: dir, KITT_ENGINE: 'vllm', MODEL_PATH: '/env/model.gguf', KITT_PROMETHEUS_PORT: '9200' };
  const loaded = loadConfig({ cwd: dir, env, flags: { 'run.engine': 'ollama' } });
  assert.equal(loaded.config.run.engine, 'ollama');
  assert.equal(loaded.config.run.model, '/env/model.gguf');
  assert.equal(loaded.config.run.port, 8081);
  assert.equal(loaded.config.export.prometheus.port, 9200);
  assert.equal(loaded.config.export.prometheus.enabled, false);
  assert.equal(loaded.sources['run.engine'], 'flag');
  assert.equal(loaded.sources['run.model'], 'env:MODEL_PATH');
  assert.equal(loaded.sources['run.port'], `file:${file}`);
  assert.equal(loaded.sources['export.prometheus.port'], 'env:KITT_PROMETHEUS_PORT');
  assert.equal(loaded.sources['export.prometheus.enabled'], 'default');
  assert.equal(loaded.sources['run.load.concurrency'], 'default');
  assert.equal(loaded.homeSource, 'env:KITT_HOME');
  assert.equal(loaded.file, file);
});

test('without a file every value is a default', (t) => {
  const dir = tempDir(t);
  const loaded = loadConfig({ cwd: dir, env: { KITT_HOME: dir } });
  assert.equal(loaded.file, undefined);
  // the engine catalog's default applies where the config names none
  assert.equal(loaded.config.run.engine, undefined);
  const entries = describeConfig(loaded);
  assert.ok(entries.length > 5);
  assert.ok(entries.filter((e) => e.keyPath !== 'home').every((entry) => entry.source === 'default'));
});

test('config show masks tokens, passwords and the password in a store URL', (t) => {
  const dir = tempDir(t);
  writeFileSync(
    join(dir, 'kitt.yaml'),
    'export:\n  influx:\n    url: http://127.0.0.1:8086\n    token: s3cr3t-token\n    password: hunter2\n',
  );
  const env = { KITT_HOME: dir, KITT_STORE_URL: 'postgres://kitt:pg-secret@db.example:5432/kitt' };
  const loaded = loadConfig({ cwd: dir, env });
  const entries = describeConfig(loaded);
  const printed = JSON.stringify(entries) + JSON.stringify(describeConfigJson(loaded));
  assert.ok(!printed.includes('s3cr3t-token'));
  assert.ok(!printed.includes('hunter2'));
  assert.ok(!printed.includes('pg-secret'));
  const store = entries.find((entry) => entry.keyPath === 'store.url');
  assert.equal(store?.value, 'postgres://kitt:********@db.example:5432/kitt');
  assert.equal(store?.source, 'env:KITT_STORE_URL');
  assert.equal(entries.find((entry) => entry.keyPath === 'export.influx.token')?.value, '********');
  // the effective config itself keeps the real secret for the code that needs it
  assert.equal(loaded.config.export.influx.token?.reveal(), 's3cr3t-token');
});

test('secrets load as Secrets, so the serialised config holds none of them', (t) => {
  const dir = tempDir(t);
  writeFileSync(
    join(dir, 'kitt.yaml'),
    'engines:\n  vllm:\n    env: { HF_TOKEN: hf-file-secret, VLLM_LOGGING_LEVEL: DEBUG }\n' +
      '  profiles:\n    big: { engine: vllm, env: { OPENAI_API_KEY: sk-file-secret } }\n',
  );
  const env = {
    KITT_HOME: dir,
    KITT_STORE_URL: 'postgres://kitt:pg-env-secret@db.example:5432/kitt?sslpassword=ssl-env-secret',
    KITT_INFLUX_URL: 'http://influx:url-env-secret@127.0.0.1:8086',
    KITT_INFLUX_TOKEN: 'token-env-secret',
    KITT_INFLUX_PASSWORD: 'password-env-secret',
  };
  const { config } = loadConfig({ cwd: dir, env });
  const serialised = `${JSON.stringify(config)} ${inspect(config, { depth: 10 })} ${String(config.store.url)}`;
  assert.doesNotMatch(serialised, /secret/);
  assert.equal(config.store.url?.reveal(), env.KITT_STORE_URL);
  assert.equal(config.export.influx.url?.reveal(), env.KITT_INFLUX_URL);
  assert.equal(config.export.influx.password?.reveal(), 'password-env-secret');
  assert.ok(engineConfigOf(config, 'vllm')?.env?.HF_TOKEN instanceof Secret);
  assert.equal(engineConfigOf(config, 'vllm')?.env?.VLLM_LOGGING_LEVEL, 'DEBUG', 'a plain setting stays readable');
  assert.equal(revealed(config.engines.profiles?.big?.env?.OPENAI_API_KEY ?? ''), 'sk-file-secret');
  assert.match(JSON.stringify(config.store), /postgres:\/\/kitt:\*{8}@db\.example:5432\/kitt\?sslpassword=\*{8}/);
});

test('a rejected URL or secret is not quoted in the config error', (t) => {
  const dir = tempDir(t);
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ KITT_STORE_URL: 'ftp://u:ftp-secret@h/db' }, /KITT_STORE_URL: store\.url: .*ftp:\/\/u:\*{8}@h/],
    [{ KITT_INFLUX_URL: 'ftp://u:influx-secret@h' }, /KITT_INFLUX_URL: export\.influx\.url: .*ftp:\/\/u:\*{8}@h/],
  ];
  for (const [env, message] of cases) {
    const error = configError(() => loadConfig({ cwd: dir, env: { KITT_HOME: dir, ...env } }));
    const printed = `${describeError(error)} ${JSON.stringify(error.details)}`;
    assert.match(printed, message);
    assert.doesNotMatch(printed, /secret/);
  }
  writeFileSync(join(dir, 'kitt.yaml'), 'export:\n  influx:\n    token: 12345678\n');
  const error = configError(() => loadConfig({ cwd: dir, env: { KITT_HOME: dir } }));
  assert.match(describeError(error), /export\.influx\.token: expected a string \(got \*{8}\)/);
  assert.doesNotMatch(`${describeError(error)} ${JSON.stringify(error.details)}`, /12345678/);
});

test('calibrated rates keep keys with slashes, commas and equals signs', (t) => {
  const dir = tempDir(t);
  writeFileSync(
    join(dir, 'kitt.yaml'),
    'compute:\n  rates:\n    "llamacpp/cpus=1,memory=1g": { value: 3.5, unit: requests/s, calibratedAt: "2026-01-01T00:00:00Z" }\n',
  );
  const loaded = loadConfig({ cwd: dir, env: { KITT_HOME: dir } });
  assert.deepEqual(loaded.config.compute.rates['llamacpp/cpus=1,memory=1g'], {
    value: 3.5,
    unit: 'requests/s',
    calibratedAt: '2026-01-01T00:00:00Z',
  });
  assert.equal(
    describeConfig(loaded).find((entry) => entry.keyPath === 'compute.rates["llamacpp/cpus=1,memory=1g"].value')
      ?.source,
    `file:${join(dir, 'kitt.yaml')}`,
  );
});

test("keys kitt would not act on are refused, and sizes and durations use the flags' grammar", (t) => {
  const dir = tempDir(t);
  writeFileSync(
    join(dir, 'kitt.yaml'),
    [
      'engines:',
      '  vllm:',
      '    images: [{ image: example/vllm:arm64, arch: arm64 }]',
      '    startupTimeout: 1h',
      '  llamacpp:',
      '    startupTimeout: soon',
      'limits: { memory: 4 gigs }',
    ].join('\n'),
  );
  const error = configError(() => loadConfig({ cwd: dir, env: { KITT_HOME: dir } }));
  const issues = (error.details?.issues ?? []) as Array<{ keyPath: string; message: string }>;
  const byPath = Object.fromEntries(issues.map((issue) => [issue.keyPath, issue.message]));
  assert.match(byPath['engines.vllm.images'] ?? '', /unknown key; allowed keys here: image, port, args/);
  assert.match(byPath['engines.llamacpp.startupTimeout'] ?? '', /a duration such as 500ms, 30s, 2m or 1h/);
  assert.match(byPath['limits.memory'] ?? '', /a size such as 512m/);
  assert.equal(byPath['engines.vllm.startupTimeout'], undefined, '1h is a duration');
});

test('calibrated max contexts load by their key, and a count that is not a whole number is refused', (t) => {
  const dir = tempDir(t);
  writeFileSync(
    join(dir, 'kitt.yaml'),
    'compute:\n  maxContexts:\n    "llamacpp/1cpu-64MiB": { value: 12, contextTokens: 512, calibratedAt: "2026-12-02T00:00:00Z" }\n',
  );
  const loaded = loadConfig({ cwd: dir, env: { KITT_HOME: dir } });
  assert.deepEqual(loaded.config.compute.maxContexts['llamacpp/1cpu-64MiB'], {
    value: 12,
    contextTokens: 512,
    calibratedAt: '2026-12-02T00:00:00Z',
  });
  assert.deepEqual(loaded.config.compute.rates, {});
  writeFileSync(
    join(dir, 'kitt.yaml'),
    'compute:\n  maxContexts:\n    "llamacpp/1cpu-64MiB": { value: 1.5, slots: 2 }\n',
  );
  const error = configError(() => loadConfig({ cwd: dir, env: { KITT_HOME: dir } }));
  const paths = ((error.details?.issues ?? []) as Array<{ keyPath: string }>).map((issue) => issue.keyPath);
  assert.ok(paths.includes('compute.maxContexts["llamacpp/1cpu-64MiB"].value'), paths.join(', '));
  assert.ok(paths.includes('compute.maxContexts["llamacpp/1cpu-64MiB"].slots'), paths.join(', '));
});
