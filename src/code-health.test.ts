import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name: string) => fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url));

function run(command: string, args: readonly string[]): { status: number | null; output: string } {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}`.slice(-4000) };
}

// The build compiles src without its tests; benches run under tsx, which does not type-check.
test('sources, tests and benches type-check', () => {
  for (const project of ['tsconfig.json', 'bench/tsconfig.json']) {
    const { status, output } = run(bin('tsc'), ['-p', project, '--noEmit']);
    assert.equal(status, 0, `tsc -p ${project}:\n${output}`);
  }
});

test('the linter finds no error', () => {
  const { status, output } = run(bin('biome'), ['check', 'src', 'test', 'bench', 'scripts']);
  assert.equal(status, 0, output);
});
