import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { requestBounded } from '../../core/bounded-request.js';
import { EXIT_CODES } from '../../core/errors.js';
import { newRunId } from '../../core/ids.js';
import { openStore } from '../../store/open-store.js';
import { exitOf, kittSpawn, kittSync, tempHome } from '../../testing/kitt-cli.js';
import { RecordingProgress } from '../../testing/recording-progress.js';
import { startEmbeddedEngine } from '../../testing/start-engine-in.js';
import { ensureTestModel } from '../../testing/test-model.js';

test('kitt agents reports every bad option at once, before anything starts', (t) => {
  const home = tempHome(t);
  const result = kittSync(
    ['agents', '--agents', 'many', '--mix', '2:5', '--tool-latency', 'soon', '--steps', '2', '--duration', '1m'],
    {
      KITT_HOME: home,
    },
  );
  assert.equal(result.code, EXIT_CODES.USAGE, result.stderr);
  assert.match(result.stderr, /4 problems with the options/);
  assert.match(result.stderr, /--agents must be a whole number/);
  assert.match(result.stderr, /--mix 2:5 asks for more acts than thinks/);
  assert.match(result.stderr, /--tool-latency must be a duration/);
  assert.match(result.stderr, /--steps and --duration both set/);
});

test('kitt agents --rate auto on the embedded engine, which kitt cannot calibrate, is one usage line naming --rate N', async (t) => {
  const home = tempHome(t);
  const model = await ensureTestModel();
  const result = kittSync(['agents', '-m', model, '--rate', 'auto'], { KITT_HOME: home });
  assert.equal(result.code, EXIT_CODES.USAGE, result.stderr);
  assert.match(result.stderr, /--rate auto calibrates a container kitt starts, not embedded in embedded mode/);
  assert.match(result.stderr, /--rate N/);
});

test('kitt agents paces by the calibrated rate in the config and logs one line per step', async (t) => {
  const home = tempHome(t);
  const model = await ensureTestModel();
  writeFileSync(
    join(home, 'config.yaml'),
    'compute:\n  rates:\n    "embedded/nolimit": { value: 3000, unit: tokens/s, calibratedAt: "2026-12-01T00:00:00Z" }\n',
  );
  const result = kittSync(
    ['agents', '-m', model, '--threads', '1', '--agents', '2', '--steps', '2'],
    { KITT_HOME: home },
    { timeoutMs: 240_000 },
  );
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stderr.split('\n').filter((line) => /agent \d step \d/.test(line));
  assert.equal(lines.length, 4, result.stderr);
  for (const line of lines)
    assert.match(line, /agent \d step \d think \d+ tok \d+(\.\d)? m?s → act [a-z]+\(.*\) \d+(\.\d)? m?s/);
  assert.match(result.stdout, /rate 3000 tokens\/s \(calibrated\)/);
  assert.match(result.stdout, /4 steps by 2 agents/);
  const dir = /results in (\S+)/.exec(result.stdout)?.[1];
  assert.ok(dir, result.stdout);
  assert.equal(readFileSync(join(dir, 'steps.jsonl'), 'utf8').trim().split('\n').length, 4);
  const id = /run (\S+): succeeded/.exec(result.stdout)![1]!;
  const shown = kittSync(['results', 'show', id], { KITT_HOME: home });
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /load\s+agents 2 agents/);
  assert.match(
    shown.stdout,
    /^4 steps by 2 agents, [\d.]+ steps\/s, think TTFT p50 [\d.]+ ms p99 [\d.]+ ms, [\d.]+ tokens\/s/m,
  );
  assert.match(shown.stdout, /kitt\.agents-metrics\.v1 document: its summary is .*report\.html/);
  // the list shows its figures: thinks/s and think TTFT in the request columns
  const listed = kittSync(['results', 'list'], { KITT_HOME: home });
  const row = listed.stdout.split('\n').find((line) => line.startsWith(id)) ?? '';
  assert.match(row, /agents\s+2 agents\s+\d+(\.\d+)?\s+\d+(\.\d+)?\s+\d+(\.\d+)?/, listed.stdout);
  // the run wrote its report; kitt report rebuilds it from the stored run
  const report = kittSync(['report', id], { KITT_HOME: home });
  assert.equal(report.code, 0, report.stderr);
  assert.equal(report.stdout.trim(), join(dir, 'report.html'));
  assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /agents-think-latency/);
});

test('Ctrl-C stops the agents after their steps in flight, keeps what they did and exits 130', async (t) => {
  const home = tempHome(t);
  const model = await ensureTestModel();
  const child = kittSpawn(
    t,
    ['agents', '-m', model, '--threads', '1', '--agents', '2', '--duration', '5m', '--rate', '3000'],
    {
      KITT_HOME: home,
    },
  );
  const deadline = Date.now() + 180_000;
  while (!/agent \d step 2 /.test(child.output()) && Date.now() < deadline && child.exitCode === null) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGINT');
  const { code } = await exitOf(child);
  assert.equal(code, 130, child.output());
  assert.match(child.output(), /: interrupted — \d+ steps by 2 agents/);
  const id = /run (\S+): interrupted/.exec(child.output())?.[1];
  const store = await openStore(join(home, 'kitt.db'));
  try {
    const run = await store.getRun(id!);
    assert.equal(run?.status, 'interrupted');
    const steps = readFileSync(join(run!.resultPath!, 'steps.jsonl'), 'utf8').trim().split('\n');
    assert.ok(steps.length >= 2, `${steps.length} steps kept`);
  } finally {
    await store.close();
  }
});

test('kitt agents --target thinks at a server that runs already, unpaced with --rate off, and leaves it running', async (t) => {
  const home = tempHome(t);
  const engine = await startEmbeddedEngine(
    {
      engine: 'embedded',
      mode: 'embedded',
      modelPath: await ensureTestModel(),
      limits: {},
      engineArgs: [],
      runId: newRunId(),
      parallel: 2,
      threads: 1,
    },
    { progress: new RecordingProgress() },
  );
  t.after(() => engine.stop());
  // spawned, not spawnSync: the engine is this process's child and is watched while kitt runs
  const child = kittSpawn(t, ['agents', '--target', engine.baseUrl, '--agents', '2', '--steps', '2', '--rate', 'off'], {
    KITT_HOME: home,
  });
  const { code } = await exitOf(child);
  assert.equal(code, 0, child.output());
  assert.match(child.output(), /4 steps by 2 agents/);
  assert.match(child.output(), /rate unpaced/);
  assert.doesNotMatch(child.output(), /bucket wait/);
  // a fresh connection: the server closes idle keep-alive sockets, and a reused one reads "other side closed"
  const health = await requestBounded(`${engine.baseUrl}/health`, {
    maxBytes: 1024,
    deadlineMs: 5_000,
    headers: { connection: 'close' },
  }).catch((error: Error) => ({ statusCode: 0, body: Buffer.from(error.message) }));
  assert.equal(health.statusCode, 200, `the server kitt did not start is still running: ${health.body}`);
});
