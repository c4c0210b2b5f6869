import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { EXIT_CODES } from '../../core/errors.js';
import { openStore } from '../../store/open-store.js';
import { exitOf, kittSync, minuteLongLoad, tempHome } from '../../testing/kitt-cli.js';
import { isAlive, kittSession, waitUntil } from '../../testing/kitt-session.js';
import { ensureTestModel } from '../../testing/test-model.js';

// Faults on the embedded engine, the real child process kitt starts: each test checks the exit
// code, the message, the records on disk, the store's status and that nothing is left running.

const LOAD = minuteLongLoad({ rate: 4, outputTokens: 8 });

async function measuring(kitt: ReturnType<typeof kittSession>, seconds: number): Promise<void> {
  const started = await waitUntil(
    () => /\[kitt\] stage \d+\/\d+ constant-rate/.test(kitt.output()) || kitt.child.exitCode !== null,
    45_000,
  );
  assert.ok(started && kitt.child.exitCode === null, kitt.output());
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
}

function recordLines(dir: string): unknown[] {
  const text = readFileSync(join(dir, 'requests.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as unknown);
}

async function storedRun(home: string) {
  await using store = await openStore(join(home, 'kitt.db'));
  const [run] = await store.listRuns();
  assert.ok(run, 'the run is in the store');
  return run;
}

const totalOf = (metrics: unknown) =>
  (metrics as { metrics?: { requests?: { total?: number } } } | undefined)?.metrics?.requests?.total;

test('SIGKILL of the embedded engine mid-run: one message with its end and log, the records kept, engine-failed', async (t) => {
  const home = tempHome(t);
  const kitt = kittSession(t, ['run', '-m', await ensureTestModel(), ...LOAD], { KITT_HOME: home });
  await measuring(kitt, 3);
  const engines = kitt.spawned();
  assert.ok(engines.length > 0, 'the embedded engine runs as a child of kitt');
  for (const pid of engines.filter(isAlive)) process.kill(pid, 'SIGKILL');
  const exit = await exitOf(kitt.child);
  const output = kitt.output();
  assert.equal(exit.code, EXIT_CODES.ENGINE_EXITED, output);
  assert.match(output, /embedded\S* .*SIGKILL.* during the run; \d+ request\(s\) measured before are kept/i);
  assert.match(output, /last lines of its log:|its log was empty/);
  assert.match(output, /partial results: \d+ requests measured before the engine ended/);
  const run = await storedRun(home);
  assert.equal(run.status, 'engine-failed');
  const dir = run.resultPath!;
  const document = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
  assert.ok(document.metrics.requests.succeeded > 0, 'requests measured before the kill are kept');
  assert.equal(totalOf(run.metrics), document.metrics.requests.total, 'the store has the partial metrics');
  const measured = recordLines(dir).filter((r) => (r as { phase: string }).phase === 'measure');
  assert.equal(measured.length, document.metrics.requests.total, 'requests.jsonl has every measured record');
  assert.deepEqual(kitt.spawned().filter(isAlive), [], 'nothing kitt started is left');
});

test('kill -9 of kitt mid-run: requests.jsonl holds the records up to the last flush and the next command marks the run abandoned', async (t) => {
  const home = tempHome(t);
  const kitt = kittSession(t, ['run', '-m', await ensureTestModel(), ...LOAD], { KITT_HOME: home });
  await measuring(kitt, 4);
  const engines = kitt.spawned();
  process.kill(kitt.child.pid!, 'SIGKILL');
  await exitOf(kitt.child);
  // the engine runs in a process group of its own, so it outlives kitt; the next run reaps it
  for (const pid of engines) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  const dir = join(home, 'results', readdirSync(join(home, 'results'))[0]!);
  const records = recordLines(dir);
  assert.ok(records.length >= 4, `records flushed before the kill are on disk (${records.length})`);
  assert.ok(
    JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).wallAnchor,
    'run.json says when the records count from',
  );
  const listed = kittSync(['results', 'list'], { KITT_HOME: home });
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /abandoned/);
  const run = await storedRun(home);
  assert.equal(run.status, 'abandoned');
  assert.match(
    run.error ?? '',
    new RegExp(`pid ${kitt.child.pid}\\) ended without recording how the run ended; its records up to then are in`),
  );
  assert.ok(run.finishedAt && run.finishedAt > run.startedAt, 'ended at its last flush');
});

/** A 1 MB tmpfs at a fresh folder, filled to `leaveBytes`; undefined (and the test skipped) where mounting is not allowed. */
function smallTmpfs(t: TestContext, leaveBytes: number): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-full-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    t.skip(`cannot mount a tmpfs here (needs root): ${(mounted.stderr || mounted.error?.message || '').trim()}`);
    return undefined;
  }
  t.after(() => {
    spawnSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(join(dir, 'filler'), Buffer.alloc(1024 * 1024 - leaveBytes));
  return dir;
}

test('a results folder that fills up mid-run: the summary is printed, the store has the metrics, the error names the folder and -o', async (t) => {
  const full = smallTmpfs(t, 24 * 1024);
  if (!full) return;
  const out = join(full, 'run');
  mkdirSync(out);
  const home = tempHome(t);
  const load = [
    '--load',
    'constant-rate',
    '--rate',
    '8',
    '--requests',
    '60',
    '--prompt-tokens',
    '16',
    '--output-tokens',
    '16',
  ];
  const kitt = kittSession(t, ['run', '-m', await ensureTestModel(), '-o', out, ...load], { KITT_HOME: home });
  const exit = await exitOf(kitt.child);
  const output = kitt.output();
  assert.equal(exit.code, EXIT_CODES.EXPORT_FAILED, output);
  assert.match(output, /TTFT/, 'the summary is printed');
  assert.match(output, new RegExp(`could not write results to ${out}: .*ENOSPC.*-o DIR`));
  const run = await storedRun(home);
  assert.equal(run.status, 'failed');
  assert.equal(totalOf(run.metrics), 60, 'the store has the metrics of every request');
  assert.ok(recordLines(out).length > 0, 'the records that fitted are on disk');
  assert.deepEqual(kitt.spawned().filter(isAlive), [], 'nothing kitt started is left');
});
