import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { EXIT_CODES } from '../../core/errors.js';
import { openStore } from '../../store/open-store.js';
import { exitOf, kittSpawn, kittSync, tempHome } from '../../testing/kitt-cli.js';
import { ensureTestModel } from '../../testing/test-model.js';

const SHORT_LOAD = [
  '--requests',
  '6',
  '--concurrency',
  '2',
  '--warmup',
  '1',
  '--prompt-tokens',
  '16',
  '--output-tokens',
  '16',
];

/**
 * The embedded engines started under this KITT_HOME (they inherit kitt's environment): other
 * tests run beside this one and start embedded engines of their own.
 */
function embeddedChildrenOf(home: string): string[] {
  let pids: string[];
  try {
    pids = execFileSync('pgrep', ['-f', 'engines/embedded/server-main'], { encoding: 'utf8' }).trim().split('\n');
  } catch {
    return [];
  }
  return pids.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`KITT_HOME=${home}`);
    } catch {
      return false; // gone since pgrep listed it
    }
  });
}

test('kitt run with no model synthesizes the default, measures, writes results and a store row', async (t) => {
  const home = tempHome(t);
  const result = kittSync(['run', ...SHORT_LOAD], { KITT_HOME: home });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /TTFT/);
  const runDir = join(home, 'results', readdirSync(join(home, 'results'))[0]!);
  for (const file of ['metrics.json', 'requests.jsonl', 'summary.md', 'hardware.json', 'run.json']) {
    assert.ok(existsSync(join(runDir, file)), `${file} missing`);
  }
  const document = JSON.parse(readFileSync(join(runDir, 'metrics.json'), 'utf8'));
  assert.equal(document.metrics.requests.total, 6);
  assert.equal(document.metrics.requests.succeeded, 6);
  assert.ok(document.metrics.ttftMs.p50 > 0);
  // server usage is the token count of record, and the engine's own counters agree with it
  assert.equal(document.metrics.tokens.outputTotal, 6 * 16);
  assert.equal(document.crossCheck.counters?.generatedTokens?.delta ?? 0, 0);
  const lines = readFileSync(join(runDir, 'requests.jsonl'), 'utf8').trim().split('\n');
  assert.equal(lines.length, 7, 'one line per request, warmup included');
  await using store = await openStore(join(home, 'kitt.db'));
  const runs = await store.listRuns();
  assert.equal(runs.length, 1);
  assert.equal(runs[0]!.status, 'succeeded');
  assert.equal(runs[0]!.engine, 'embedded');
  assert.equal(runs[0]!.resultPath, runDir);
  // what the run really used, beside the file/env config (which names no engine or load here)
  const effective = (runs[0]!.config as { effective?: Record<string, unknown> }).effective;
  assert.equal(effective?.engine, 'embedded');
  assert.equal(effective?.mode, 'embedded');
  assert.deepEqual(effective?.load, document.load);
  assert.ok(existsSync(join(home, 'models')), 'the default model lives under the kitt home');
});

test('bad inputs to kitt run give one line naming the fix and the right exit code', async (t) => {
  const home = tempHome(t);
  const notGguf = join(home, 'notes.gguf');
  writeFileSync(notGguf, 'this is not a model');
  const cases: Array<[string[], number, RegExp]> = [
    [['run', '-m', join(home, 'missing.gguf')], EXIT_CODES.MODEL_NOT_FOUND, /does not exist/],
    [['run', '-m', notGguf], EXIT_CODES.MODEL_NOT_GGUF, /not a GGUF/i],
    [['run', '-e', 'lmdeploy'], EXIT_CODES.UNKNOWN_ENGINE, /unknown engine "lmdeploy".*embedded, llamacpp/],
    [['run', '--load', 'constant-rate'], EXIT_CODES.USAGE, /needs a rate/],
    [['run', '--cpus', 'many'], EXIT_CODES.USAGE, /--cpus must be a number/],
  ];
  for (const [args, code, message] of cases) {
    const result = kittSync(args, { KITT_HOME: home });
    assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
    assert.equal(result.stderr.trim().split('\n').length, 1, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
  }
});

test('a port already in use is reported with the fix and no result is left half-written', async (t) => {
  const home = tempHome(t);
  const model = await ensureTestModel();
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const result = kittSync(['run', '-m', model, '--port', String(port), ...SHORT_LOAD], { KITT_HOME: home });
  assert.equal(result.code, EXIT_CODES.PORT_IN_USE, result.stderr);
  assert.match(result.stderr, new RegExp(`port ${port} is in use`));
  await using store = await openStore(join(home, 'kitt.db'));
  assert.equal((await store.listRuns())[0]?.status, 'failed');
});

test('SIGINT mid-run keeps what was measured, records the run as interrupted and leaves no engine', async (t) => {
  const home = tempHome(t);
  const model = await ensureTestModel();
  const child = kittSpawn(t, ['run', '-m', model, '--duration', '60s', '--concurrency', '2', '--output-tokens', '16'], {
    KITT_HOME: home,
  });
  const deadline = Date.now() + 60_000;
  // the off-terminal progress line says how many measured requests are done: wait for some
  while (!/fixed-concurrency[^\n]*: [1-9]\d*(?:\/\d+)? done/.test(child.output()) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    if (child.exitCode !== null) break;
  }
  assert.equal(embeddedChildrenOf(home).length, 1, "the run's engine is found by its KITT_HOME");
  child.kill('SIGINT');
  const exit = await exitOf(child);
  assert.equal(exit.code, EXIT_CODES.INTERRUPTED, child.output());
  const runDir = join(home, 'results', readdirSync(join(home, 'results'))[0]!);
  const lines = readFileSync(join(runDir, 'requests.jsonl'), 'utf8').trim().split('\n');
  assert.ok(lines.length > 1, 'requests measured before the interrupt are kept');
  await using store = await openStore(join(home, 'kitt.db'));
  assert.equal((await store.listRuns())[0]?.status, 'interrupted');
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(embeddedChildrenOf(home), []);
});
