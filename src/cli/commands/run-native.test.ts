import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { kittSync, tempHome } from '../../testing/kitt-cli.js';
import { ensureTestModel } from '../../testing/test-model.js';

/**
 * llama-server as a host binary: on PATH, or the one scripts/build-llamacpp-image.sh compiled into
 * kitt's build cache (CI builds it there before the tests).
 */
function findLlamaServer(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'llama-server'))) return join(dir, 'llama-server');
  }
  const cache = process.env.KITT_CACHE ?? join(homedir(), '.cache', 'kitt');
  const builds = existsSync(cache) ? readdirSync(cache).filter((name) => name.startsWith('llama-server-')) : [];
  return builds.map((name) => join(cache, name, 'llama-server')).find((path) => existsSync(path));
}

function requireLlamaServer(t: TestContext): string | undefined {
  const binary = findLlamaServer();
  if (binary) return binary;
  if (process.env.CI === 'true')
    throw new Error('llama-server is missing: scripts/ci/30-images.sh builds it into the kitt cache');
  t.skip('no llama-server binary (run scripts/build-llamacpp-image.sh)');
  return undefined;
}

test('kitt run --mode native serves through llama-server as a host process and leaves none behind', async (t) => {
  const binary = requireLlamaServer(t);
  if (!binary) return;
  const home = tempHome(t);
  const model = await ensureTestModel();
  const result = kittSync(
    [
      'run',
      '-e',
      'llamacpp',
      '--mode',
      'native',
      '-m',
      model,
      '--cpus',
      '1',
      '--requests',
      '6',
      '--concurrency',
      '2',
      '--output-tokens',
      '16',
    ],
    { KITT_HOME: home, PATH: `${dirname(binary)}:${process.env.PATH ?? ''}` },
  );
  assert.equal(result.code, 0, result.stderr);
  const runDir = join(home, 'results', readdirSync(join(home, 'results'))[0]!);
  const document = JSON.parse(readFileSync(join(runDir, 'metrics.json'), 'utf8'));
  assert.equal(document.metrics.requests.succeeded, 6);
  assert.ok(document.resources?.sampleCount >= 1, 'the process was sampled from /proc');
  let leftover = '';
  try {
    leftover = execFileSync('pgrep', ['-f', `llama-server.*${model}`], { encoding: 'utf8' });
  } catch {
    // pgrep exits 1 when nothing matches
  }
  assert.equal(leftover.trim(), '');
});
