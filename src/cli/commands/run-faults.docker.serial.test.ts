import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { EXIT_CODES } from '../../core/errors.js';
import { openStore } from '../../store/open-store.js';
import { llamaCppImageReady } from '../../testing/docker-gate.js';
import { exitOf, minuteLongLoad, tempHome } from '../../testing/kitt-cli.js';
import { kittSession, waitUntil } from '../../testing/kitt-session.js';
import { ensureTestHogImage, TEST_HOG_IMAGE } from '../../testing/test-hog.js';
import { ensureTestModel } from '../../testing/test-model.js';

// Faults on the llama.cpp container: the engine ends under kitt, which must say how, keep what it
// measured (result directory and store, status engine-failed) and leave no container behind.

const LOAD = minuteLongLoad({ rate: 4, outputTokens: 8 });

function containersOf(runId: string): string[] {
  return execFileSync('docker', ['ps', '-aq', '--filter', `label=kitt.run-id=${runId}`], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .filter(Boolean);
}

/**
 * Drives a running container into its memory limit so the kernel's OOM killer ends the engine:
 * the engine is made the killer's first choice (raising oom_score_adj needs no privilege) and a
 * memory hog (kitt/test-hog's binary) started beside it in the container's cgroup. Lowering the limit instead is refused
 * under cgroup v1 while the usage is above it.
 */
async function driveIntoOom(t: TestContext, container: string): Promise<void> {
  await ensureTestHogImage();
  const dir = mkdtempSync(join(tmpdir(), 'kitt-hog-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const holder = execFileSync('docker', ['create', TEST_HOG_IMAGE], { encoding: 'utf8' }).trim();
  try {
    execFileSync('docker', ['cp', `${holder}:/hog`, join(dir, 'hog')]);
  } finally {
    execFileSync('docker', ['rm', holder]);
  }
  const pid = execFileSync('docker', ['inspect', '--format', '{{.State.Pid}}', container], { encoding: 'utf8' }).trim();
  writeFileSync(`/proc/${pid}/oom_score_adj`, '1000');
  execFileSync('docker', ['cp', join(dir, 'hog'), `${container}:/kitt-test-hog`]);
  execFileSync('docker', ['exec', '-d', '-u', '0', container, '/kitt-test-hog', '--mem', '4096', '--step-mib', '1']);
}

/** kitt running the constant-rate load on the llama.cpp container, its stage begun; the container's id. */
async function containerRunUnderway(t: TestContext, home: string, extra: readonly string[] = []) {
  const args = ['run', '-m', await ensureTestModel(), '-e', 'llamacpp', ...extra, ...LOAD];
  const kitt = kittSession(t, args, { KITT_HOME: home });
  const started = await waitUntil(
    () => /\[kitt\] stage \d+\/\d+ constant-rate/.test(kitt.output()) || kitt.child.exitCode !== null,
    50_000,
  );
  assert.ok(started && kitt.child.exitCode === null, kitt.output());
  const runId = readdirSync(join(home, 'results'))[0]!;
  const [container] = containersOf(runId);
  assert.ok(container, 'the engine runs in a container labelled with the run id');
  return { kitt, runId, container };
}

async function engineEndedRun(home: string) {
  await using store = await openStore(join(home, 'kitt.db'));
  const [run] = await store.listRuns();
  assert.ok(run);
  const document = JSON.parse(readFileSync(join(run.resultPath!, 'metrics.json'), 'utf8'));
  const measured = readFileSync(join(run.resultPath!, 'requests.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.includes('"phase":"measure"'));
  return { run, document, measured };
}

test('docker kill of the llama.cpp container mid-run: its end and log lines are shown, the records kept, engine-failed, no container left', async (t) => {
  if (!(await llamaCppImageReady(t))) return;
  const home = tempHome(t);
  const { kitt, runId, container } = await containerRunUnderway(t, home);
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  execFileSync('docker', ['kill', container]);
  const exit = await exitOf(kitt.child);
  const output = kitt.output();
  assert.equal(exit.code, EXIT_CODES.ENGINE_EXITED, output);
  assert.match(output, /llamacpp ended by SIGKILL .* during the run; \d+ request\(s\) measured before are kept/i);
  assert.match(output, /last lines of its log:\n {2}\S/, 'the engine log lines are shown');
  assert.match(output, /partial results: \d+ requests measured before the engine ended/);
  const { run, document, measured } = await engineEndedRun(home);
  assert.equal(run.status, 'engine-failed');
  assert.ok(document.metrics.requests.succeeded > 0, 'what was measured before the kill is kept');
  assert.equal(measured.length, document.metrics.requests.total, 'requests.jsonl has every measured record');
  assert.deepEqual(containersOf(runId), [], 'the killed container is removed');
});

// Serial: orphan reaping is host-wide by design, so a docker test running beside this one may reap
// this file's orphan first and take away what it checks.
test('kill -9 of kitt with a container running: the next kitt run reaps it before picking a port and gets the default port, the old run is abandoned', async (t) => {
  if (!(await llamaCppImageReady(t))) return;
  const home = tempHome(t);
  const model = await ensureTestModel();
  const { kitt, runId: firstRun } = await containerRunUnderway(t, home);
  const port = /ready at http:\/\/127\.0\.0\.1:(\d+)/.exec(kitt.output())?.[1];
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  process.kill(kitt.child.pid!, 'SIGKILL');
  await exitOf(kitt.child);
  assert.equal(containersOf(firstRun).length, 1, 'the orphan container outlives kitt');
  const again = kittSession(
    t,
    ['run', '-m', model, '-e', 'llamacpp', '--requests', '2', '--prompt-tokens', '16', '--output-tokens', '8'],
    { KITT_HOME: home },
  );
  const exit = await exitOf(again.child);
  const output = again.output();
  assert.equal(exit.code, 0, output);
  assert.match(output, /removed 1 container\(s\) left by a crashed kitt run/);
  assert.match(
    output,
    new RegExp(`ready at http://127\\.0\\.0\\.1:${port}\\b`),
    'the port the orphan held is picked again',
  );
  assert.deepEqual(containersOf(firstRun), [], 'the orphan is gone');
  await using store = await openStore(join(home, 'kitt.db'));
  assert.equal((await store.getRun(firstRun))?.status, 'abandoned');
});

// An OOM kill in the middle of a run: the container's memory fills up under the engine, and the
// kernel's OOM killer ends it as a growing KV cache or a leak would.
test('an OOM kill of the llama.cpp container mid-run: reported as OOM, the records kept, engine-failed, no container left', async (t) => {
  if (!(await llamaCppImageReady(t))) return;
  const home = tempHome(t);
  const { kitt, runId, container } = await containerRunUnderway(t, home, ['--memory', '64m']);
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  await driveIntoOom(t, container);
  const exit = await exitOf(kitt.child);
  const output = kitt.output();
  assert.equal(exit.code, EXIT_CODES.OOM_KILLED, output);
  assert.match(
    output,
    /llamacpp was killed for running out of memory at its limit of 64\.0 MiB during the run; \d+ request\(s\) measured before are kept/i,
  );
  assert.match(output, /partial results: \d+ requests measured before the engine ended/);
  const { run, document, measured } = await engineEndedRun(home);
  assert.equal(run.status, 'engine-failed');
  assert.match(run.error ?? '', /out of memory/);
  assert.ok(document.metrics.requests.succeeded > 0, 'what was measured before the kill is kept');
  assert.equal(measured.length, document.metrics.requests.total, 'requests.jsonl has every measured record');
  assert.deepEqual(containersOf(runId), [], 'the killed container is removed');
});
