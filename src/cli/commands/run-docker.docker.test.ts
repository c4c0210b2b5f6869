import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EXIT_CODES } from '../../core/errors.js';
import { openStore } from '../../store/open-store.js';
import { llamaCppImageReady } from '../../testing/docker-gate.js';
import { exitOf, kittSpawn, kittSync, tempHome } from '../../testing/kitt-cli.js';
import { ensureTestModel } from '../../testing/test-model.js';

const SHORT_LOAD = [
  '--requests',
  '8',
  '--concurrency',
  '2',
  '--warmup',
  '1',
  '--prompt-tokens',
  '16',
  '--output-tokens',
  '32',
];

/** kitt containers of one kitt home's runs, by the run ids in the store, or all kitt containers. */
function kittContainers(runId?: string): string[] {
  const filter = runId ? ['--filter', `label=kitt.run-id=${runId}`] : ['--filter', 'label=kitt.managed=true'];
  return execFileSync('docker', ['ps', '-aq', ...filter], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .filter(Boolean);
}

async function runsOf(home: string) {
  await using store = await openStore(join(home, 'kitt.db'));
  return await store.listRuns();
}

function resultDocument(home: string) {
  const dir = join(home, 'results', readdirSync(join(home, 'results'))[0]!);
  return { dir, document: JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) };
}

test('kitt run -e llamacpp --cpus 1 --memory 1g measures through the container, with its stats and limits recorded', async (t) => {
  if (!(await llamaCppImageReady(t))) return;
  const home = tempHome(t);
  const model = await ensureTestModel();
  const result = kittSync(['run', '-m', model, '-e', 'llamacpp', '--cpus', '1', '--memory', '1g', ...SHORT_LOAD], {
    KITT_HOME: home,
  });
  assert.equal(result.code, 0, result.stderr);
  const { dir, document } = resultDocument(home);
  const failures = readFileSync(join(dir, 'requests.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.includes('"error":{'));
  assert.equal(document.metrics.requests.succeeded, 8, failures.join('\n').slice(0, 2000));
  assert.deepEqual(document.limits, { memoryBytes: 1024 ** 3, memorySwapBytes: 1024 ** 3, cpus: 1 });
  assert.ok(document.resources.sampleCount >= 1, 'container stats were sampled');
  assert.ok(
    document.resources.cpuPercentOfLimit.max <= 110,
    `CPU ${document.resources.cpuPercentOfLimit.max} % of a 1-CPU limit`,
  );
  assert.equal(document.resources.memoryLimitBytes, 1024 ** 3);
  assert.ok(readFileSync(join(dir, 'stats.jsonl'), 'utf8').trim().length > 0);
  // llama.cpp's own counters agree with the client on the tokens it generated
  assert.equal(document.crossCheck.counters?.generatedTokens?.delta, 0);
  const [run] = await runsOf(home);
  assert.equal(run?.status, 'succeeded');
  assert.deepEqual(run?.limits, document.limits);
  assert.deepEqual(kittContainers(run?.id), [], 'the engine container is removed');
});

test('a memory limit too small for the engine is reported as OOM with the limit, and nothing is left', async (t) => {
  if (!(await llamaCppImageReady(t))) return;
  const home = tempHome(t);
  const model = await ensureTestModel();
  const result = kittSync(['run', '-m', model, '-e', 'llamacpp', '--memory', '12m', ...SHORT_LOAD], {
    KITT_HOME: home,
  });
  assert.equal(result.code, EXIT_CODES.OOM_KILLED, result.stderr);
  assert.match(result.stderr, /memory/i);
  assert.match(result.stderr, /12\.0 MiB|12 MiB|12582912/);
  const [run] = await runsOf(home);
  // an engine that ends while it starts is an engine failure, not a fault of the run
  assert.equal(run?.status, 'engine-failed');
  assert.deepEqual(kittContainers(run?.id), []);
});

test('two runs at once do not collide: each gets its own container and port', async (t) => {
  if (!(await llamaCppImageReady(t))) return;
  const model = await ensureTestModel();
  const homes = [tempHome(t), tempHome(t)];
  const children = homes.map((home) =>
    kittSpawn(t, ['run', '-m', model, '-e', 'llamacpp', '--cpus', '0.5', ...SHORT_LOAD], { KITT_HOME: home }),
  );
  const exits = await Promise.all(children.map((child) => exitOf(child)));
  for (const [i, exit] of exits.entries()) assert.equal(exit.code, 0, children[i]!.output());
  const runs = await Promise.all(homes.map(async (home) => (await runsOf(home))[0]!));
  assert.notEqual(runs[0]!.id, runs[1]!.id);
  for (const run of runs) assert.equal(run.status, 'succeeded');
});

test('kill -9 of kitt mid-run leaves an orphan that the next command reaps; SIGINT leaves nothing', async (t) => {
  if (!(await llamaCppImageReady(t))) return;
  const model = await ensureTestModel();
  const home = tempHome(t);
  const long = ['run', '-m', model, '-e', 'llamacpp', '--cpus', '0.5', '--duration', '60s', '--concurrency', '1'];
  const killed = kittSpawn(t, long, { KITT_HOME: home });
  const waitForLoad = async (child: ReturnType<typeof kittSpawn>) => {
    const deadline = Date.now() + 90_000;
    while (
      !/\[kitt\] stage \d+\/\d+ fixed-concurrency/.test(child.output()) &&
      Date.now() < deadline &&
      child.exitCode === null
    ) {
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  await waitForLoad(killed);
  const [orphanRun] = await runsOf(home);
  assert.equal(kittContainers(orphanRun!.id).length, 1, `the engine runs: ${killed.output()}`);
  killed.kill('SIGKILL');
  await exitOf(killed);
  assert.equal(kittContainers(orphanRun!.id).length, 1, 'kill -9 runs no cleanup: the container is orphaned');
  const prune = kittSync(['engines', 'prune'], { KITT_HOME: home });
  assert.equal(prune.code, 0, prune.stderr);
  assert.deepEqual(kittContainers(orphanRun!.id), [], 'the next command reaps the orphan');

  const interrupted = kittSpawn(t, long, { KITT_HOME: home });
  await waitForLoad(interrupted);
  interrupted.kill('SIGINT');
  assert.equal((await exitOf(interrupted)).code, EXIT_CODES.INTERRUPTED, interrupted.output());
  const latest = (await runsOf(home))[0]!;
  assert.equal(latest.status, 'interrupted');
  assert.deepEqual(kittContainers(latest.id), []);
});
