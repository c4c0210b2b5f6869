import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { kittSync, tempHome } from '../../testing/kitt-cli.js';
import { requireLlamaServer } from '../../testing/llama-server-binary.js';
import { ensureTestModel } from '../../testing/test-model.js';

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
