import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EXIT_CODES } from '../../core/errors.js';
import { openStore } from '../../store/open-store.js';
import { exitOf, minuteLongLoad, tempHome } from '../../testing/kitt-cli.js';
import { groupMembers, isAlive, kittSession, waitUntil } from '../../testing/kitt-session.js';
import { ensureTestModel } from '../../testing/test-model.js';

// Long enough that the signal lands mid-run: 2 requests a second for a minute.
const LONG_LOAD = minuteLongLoad({ rate: 2, outputTokens: 16, warmup: 1 });

/**
 * Runs `kitt run` on the embedded engine as a terminal would, sends `signal` to the whole process
 * group once requests are being measured, and checks that the run was kept and nothing was left.
 */
async function interruptEmbeddedRun(t: import('node:test').TestContext, signal: 'SIGINT' | 'SIGTERM') {
  const home = tempHome(t);
  const model = await ensureTestModel();
  const kitt = kittSession(t, ['run', '-m', model, ...LONG_LOAD], { KITT_HOME: home });
  const measuring = await waitUntil(
    () => /\[kitt\] stage \d+\/\d+ constant-rate/.test(kitt.output()) || kitt.child.exitCode !== null,
    45_000,
  );
  assert.ok(measuring && kitt.child.exitCode === null, kitt.output());
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  assert.ok(kitt.spawned().length > 0, 'the embedded engine runs as a child of kitt');
  kitt.signalGroup(signal);
  const exit = await exitOf(kitt.child);
  const output = kitt.output();
  assert.equal(exit.code, signal === 'SIGINT' ? EXIT_CODES.INTERRUPTED : EXIT_CODES.TERMINATED, output);
  assert.doesNotMatch(output, /measured before are kept/, 'the engine did not die with the terminal signal');
  assert.match(output, /partial results: \d+ requests measured/, 'the partial summary is printed');
  assert.match(output, /TTFT/);
  const runDir = join(home, 'results', readdirSync(join(home, 'results'))[0]!);
  const document = JSON.parse(readFileSync(join(runDir, 'metrics.json'), 'utf8'));
  assert.equal(document.interrupted, true);
  assert.ok(document.metrics.requests.succeeded > 0, `requests measured so far are kept: ${output}`);
  await using store = await openStore(join(home, 'kitt.db'));
  const [run] = await store.listRuns();
  assert.equal(run?.status, 'interrupted');
  assert.equal(
    (run?.metrics as { metrics?: { requests?: { total?: number } } })?.metrics?.requests?.total,
    document.metrics.requests.total,
  );
  assert.deepEqual(groupMembers(kitt.pgid), [], 'nothing of the group is left');
  const left = kitt.spawned().filter(isAlive);
  assert.deepEqual(left, [], 'every process kitt started is gone');
}

test('Ctrl-C from a terminal (SIGINT to the group) keeps the partial embedded run, prints it and exits 130', async (t) => {
  await interruptEmbeddedRun(t, 'SIGINT');
});

test('SIGTERM to the group keeps the partial embedded run the same way and exits 143', async (t) => {
  await interruptEmbeddedRun(t, 'SIGTERM');
});

test('Ctrl-C while the engine starts stops it, records the run as interrupted and exits 130', async (t) => {
  const home = tempHome(t);
  const model = await ensureTestModel();
  const kitt = kittSession(t, ['run', '-m', model, ...LONG_LOAD], { KITT_HOME: home });
  const starting = await waitUntil(() => /starting embedded\b/.test(kitt.output()), 30_000, 20);
  assert.ok(starting, kitt.output());
  kitt.signalGroup('SIGINT');
  const exit = await exitOf(kitt.child);
  const output = kitt.output();
  assert.equal(exit.code, EXIT_CODES.INTERRUPTED, output);
  assert.match(output, /was interrupted by SIGINT before it had measured anything/);
  await using store = await openStore(join(home, 'kitt.db'));
  assert.equal((await store.listRuns())[0]?.status, 'interrupted');
  assert.deepEqual(groupMembers(kitt.pgid), []);
  assert.deepEqual(kitt.spawned().filter(isAlive), [], 'the engine child is gone');
});

test('a third Ctrl-C exits at once with the code of the first, as the second one said it would', async (t) => {
  const home = tempHome(t);
  const model = await ensureTestModel();
  const kitt = kittSession(t, ['run', '-m', model, ...LONG_LOAD], { KITT_HOME: home });
  assert.ok(await waitUntil(() => /\[kitt\] stage \d+\/\d+ constant-rate/.test(kitt.output()), 45_000), kitt.output());
  for (let i = 0; i < 3; i += 1) {
    kitt.signalGroup('SIGINT');
    await waitUntil(() => kitt.output().split('[kitt] SIGINT').length > i + 1, 5_000, 10);
  }
  const exit = await exitOf(kitt.child);
  const output = kitt.output();
  assert.equal(exit.code, EXIT_CODES.INTERRUPTED, output);
  assert.match(output, /a third Ctrl-C exits at once/);
  assert.match(output, /SIGINT a third time: exiting now/);
  // the embedded child sees its stdin close when kitt is gone, and ends
  assert.ok(await waitUntil(() => kitt.spawned().filter(isAlive).length === 0, 10_000), 'the engine child ends');
});
