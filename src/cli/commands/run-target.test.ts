import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { silentProgress } from '../../core/progress.js';
import { openStore } from '../../store/open-store.js';
import { exitOf, kittSpawn, tempHome } from '../../testing/kitt-cli.js';
import { spawnExactScheduleServer } from '../../testing/spawn-exact-schedule-server.js';
import { startEmbeddedEngine } from '../../testing/start-engine-in.js';
import { ensureTestModel } from '../../testing/test-model.js';

const LOAD = ['--requests', '12', '--concurrency', '2', '--warmup', '1', '--output-tokens', '16'];

async function kitt(t: TestContext, args: readonly string[], env: Record<string, string>) {
  const child = kittSpawn(t, args, env);
  const { code } = await exitOf(child);
  return { code, output: child.output() };
}

async function listen(t: TestContext, server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

// biome-ignore lint/suspicious/noExplicitAny: result documents are read field by field, as a user would
type Json = any;

function resultOf(dir: string): { metrics: Json; run: Json; files: string[] } {
  return {
    metrics: JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')),
    run: JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')),
    files: readdirSync(dir),
  };
}

/** Every file under `dir`, as bytes (the SQLite store and its journal included). */
function allFiles(dir: string): Array<{ path: string; bytes: Buffer }> {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => ({ path, bytes: readFileSync(path) }));
}

test('--target against the exact-schedule server measures TTFT and ITL within tolerance of its schedule', async (t) => {
  const server = await spawnExactScheduleServer(['--ttft-ms', '60', '--itl-ms', '15']);
  t.after(() => server.close());
  const home = tempHome(t);
  const out = join(home, 'run');
  const result = await kitt(t, ['run', '--target', server.url, '--served-model', 'm', ...LOAD, '-o', out], {
    KITT_HOME: home,
  });
  assert.equal(result.code, 0, result.output);
  assert.match(result.output, /nothing is started/);
  const { metrics, run, files } = resultOf(out);
  assert.equal(metrics.metrics.requests.succeeded, 12);
  // the schedule: first token 60 ms after the request, then one every 15 ms; the client adds a little
  assert.ok(
    metrics.metrics.ttftMs.p50 >= 60 && metrics.metrics.ttftMs.p50 < 60 + 25,
    `TTFT p50 ${metrics.metrics.ttftMs.p50}`,
  );
  assert.ok(
    metrics.metrics.itlMs.p50 >= 14 && metrics.metrics.itlMs.p50 < 15 + 5,
    `ITL p50 ${metrics.metrics.itlMs.p50}`,
  );
  assert.equal(run.engine.mode, 'external');
  assert.equal(run.engine.engine, 'unknown');
  assert.equal(run.config.run.target, server.url);
  assert.equal(run.config.run.targetEngine.name, 'unknown');
  assert.ok(!files.includes('stats.jsonl'), 'a server kitt did not start is not sampled');
  assert.equal(metrics.resources, null);
  await using store = await openStore(join(home, 'kitt.db'));
  const [row] = await store.listRuns();
  assert.equal(row?.status, 'succeeded');
  assert.equal(row?.mode, 'external');
  assert.equal(row?.model, 'm');
});

test('the API key reaches the server on every exchange and appears in no file, store or output', async (t) => {
  const key = `sk-test-${process.pid}-a1b2c3d4e5`;
  const headerValue = `hv-${process.pid}-zz9`;
  const upstream = await spawnExactScheduleServer(['--ttft-ms', '5', '--itl-ms', '2']);
  t.after(() => upstream.close());
  const seen = { total: 0, withoutKey: 0, withoutHeader: 0, completions: 0, models: 0, metrics: 0 };
  // a gate in front of the exact-schedule server: it answers 401 to anything without the key
  const gate = createServer((req: IncomingMessage, res) => {
    seen.total++;
    if (req.headers['x-team-secret'] !== headerValue) seen.withoutHeader++;
    if (req.headers.authorization !== `Bearer ${key}`) {
      seen.withoutKey++;
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"no key"}');
      return;
    }
    if (req.url === '/v1/models') {
      seen.models++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[{"id":"gated-model"}]}');
      return;
    }
    if (req.url === '/metrics') seen.metrics++;
    if (req.url === '/v1/completions') seen.completions++;
    const forward = httpRequest(
      `${upstream.url}${req.url}`,
      { method: req.method, headers: { 'content-type': 'application/json' } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(forward);
  });
  const url = await listen(t, gate);
  const home = tempHome(t);
  const result = await kitt(
    t,
    [
      'run',
      '--target',
      url,
      '--api-key-env',
      'GATE_KEY',
      '--header',
      `X-Team-Secret: ${headerValue}`,
      ...LOAD,
      '--json',
    ],
    { KITT_HOME: home, GATE_KEY: key },
  );
  assert.equal(result.code, 0, result.output);
  assert.equal(seen.withoutKey, 0, 'every exchange carried the key');
  assert.equal(seen.withoutHeader, 0, 'every exchange carried the header');
  assert.equal(seen.models, 1);
  assert.equal(seen.completions, 13, 'warmup and measured requests');
  assert.equal(seen.metrics, 3, 'recognition, before and after the load');
  assert.ok(!result.output.includes(key), 'the key is not printed');
  assert.ok(!result.output.includes(headerValue), 'header values are not printed');
  const files = allFiles(home);
  assert.ok(
    files.some((file) => file.path.endsWith('kitt.db')),
    'the store was written',
  );
  for (const file of files) {
    assert.ok(!file.bytes.includes(key), `the key is in ${file.path}`);
    assert.ok(!file.bytes.includes(headerValue), `a header value is in ${file.path}`);
  }
  const runDir = join(home, 'results', readdirSync(join(home, 'results'))[0]!);
  const { run } = resultOf(runDir);
  assert.equal(run.config.run.apiKeyEnv, 'GATE_KEY', 'the variable is recorded by name');
  assert.deepEqual(run.config.run.targetHeaders, ['x-team-secret'], 'headers are recorded by name');
  assert.equal(run.config.run.servedModel, 'gated-model');
});

test('flags that launch an engine, or target flags without --target, exit 2 before any request', async (t) => {
  let requests = 0;
  const url = await listen(
    t,
    createServer((_req, res) => {
      requests++;
      res.writeHead(500).end();
    }),
  );
  const home = tempHome(t);
  const launch = await kitt(t, ['run', '--target', url, '--cpus', '1', '--image', 'x', '--mode', 'docker'], {
    KITT_HOME: home,
  });
  assert.equal(launch.code, 2, launch.output);
  assert.match(launch.output, /--cpus launches an engine and cannot go with --target/);
  assert.match(launch.output, /--image launches an engine/);
  assert.match(launch.output, /--mode launches an engine/);
  const orphan = await kitt(t, ['run', '--served-model', 'm'], { KITT_HOME: home });
  assert.equal(orphan.code, 2, orphan.output);
  assert.match(orphan.output, /only apply with --target/);
  const unset = await kitt(t, ['run', '--target', url, '--api-key-env', 'NOT_SET_HERE'], { KITT_HOME: home });
  assert.equal(unset.code, 2, unset.output);
  assert.match(unset.output, /export NOT_SET_HERE=/);
  const cpu = await kitt(t, ['calibrate', '--target', url, '--objective', 'both', '--slo', 'ttft-p95=200ms'], {
    KITT_HOME: home,
  });
  assert.equal(cpu.code, 2, cpu.output);
  assert.match(cpu.output, /--target server's CPU cannot be read \(use --objective slo/);
  assert.equal(requests, 0, 'nothing reached the server');
});

test('--target against an embedded engine started apart: recognised as llama.cpp, its counters agree', async (t) => {
  const modelPath = await ensureTestModel();
  const engine = await startEmbeddedEngine(
    {
      engine: 'embedded',
      mode: 'embedded',
      modelPath,
      limits: {},
      engineArgs: [],
      runId: 'target-test',
      parallel: 2,
      threads: 1,
    },
    { progress: silentProgress },
  );
  t.after(() => engine.stop());
  const home = tempHome(t);
  const out = join(home, 'run');
  const result = await kitt(t, ['run', '--target', engine.baseUrl, ...LOAD, '--prompt-tokens', '16', '-o', out], {
    KITT_HOME: home,
  });
  assert.equal(result.code, 0, result.output);
  const { metrics, run } = resultOf(out);
  assert.equal(run.engine.engine, 'llamacpp');
  assert.equal(run.config.run.targetEngine.recognisedBy, 'metrics');
  assert.equal(run.engine.modelPath, engine.servedModel, 'the model GET /v1/models lists');
  assert.equal(metrics.metrics.requests.succeeded, 12);
  assert.equal(metrics.crossCheck.counters?.generatedTokens?.delta, 0, 'client and engine counted the same tokens');
  // the engine kitt did not start still runs after the run
  const health = await fetch(`${engine.baseUrl}/health`);
  assert.equal(health.status, 200);
});

test('kitt calibrate --target finds a rate a 2-slot server sustains within the SLO, and writes no config rate', async (t) => {
  // 2 slots, each answer of 8 tokens 20 ms to the first and 7 × 5 ms after: 2 / 0.055 s = 36.4
  // requests/s served at most. A 2 s window cannot tell a rate just above that from one below, so
  // the bound is what the controller guarantees: achieved at least 95 % of offered.
  const capacity = 2 / (0.02 + 7 * 0.005);
  const server = await spawnExactScheduleServer(['--ttft-ms', '20', '--itl-ms', '5', '--parallel', '2']);
  t.after(() => server.close());
  const home = tempHome(t);
  const out = join(home, 'calibration');
  const result = await kitt(
    t,
    [
      'calibrate',
      '--target',
      server.url,
      '--served-model',
      'm',
      '--objective',
      'slo',
      '--slo',
      'ttft-p95=200ms',
      '--window',
      '2s',
      '--soak',
      '0',
      '--max-windows',
      '4',
      '--start-rate',
      '4',
      '--prompt-tokens',
      '8',
      '--output-tokens',
      '8',
      '-o',
      out,
    ],
    { KITT_HOME: home },
  );
  assert.equal(result.code, 0, result.output);
  const calibration = JSON.parse(readFileSync(join(out, 'calibration.json'), 'utf8'));
  assert.equal(calibration.outcome, 'calibrated');
  assert.ok(
    calibration.rate > 4 && calibration.rate <= capacity / 0.95,
    `rate ${calibration.rate}; windows ${JSON.stringify(calibration.windows)}`.slice(0, 4000),
  );
  assert.ok(
    calibration.windows.every((w: Json) => w.measurement.cpuPercentOfLimit === undefined),
    'no CPU is read from a server kitt did not start',
  );
  assert.ok(!readdirSync(home).includes('config.yaml'), 'no compute.rates entry for a server kitt does not limit');
});
