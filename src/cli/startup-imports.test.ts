import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';

/**
 * The libraries only some commands need, loaded when those commands reach them. Imported at the
 * top, each cost every kitt start (even `kitt --help`) a tenth to three quarters of a second: 2.5
 * CPU-seconds and 1.9 s before anything was printed.
 */
const LOADED_ON_USE = [
  '@kubernetes/client-node',
  'kubernetes-models',
  'dockerode',
  'pg',
  'pg-boss',
  'hono',
  '@hono/node-server',
  '@hono/zod-openapi',
  '@qdrant/js-client-rest',
  'prom-client',
  'node-llama-cpp',
];

/** Prints, on stderr, every package a module of kitt's own imports (not those packages' own imports). */
const RECORD_PACKAGES = `
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
export async function resolve(specifier, context, next) {
  const parent = context.parentURL ?? '';
  if (!parent.includes('/node_modules/') && /^[@a-z]/.test(specifier) && !specifier.startsWith('node:'))
    process.stderr.write('package ' + specifier + '\\\\n');
  return next(specifier, context);
}\`));
`;

test('kitt --help loads none of the libraries that only some commands need', () => {
  const entry = resolve(import.meta.dirname, 'entry.ts');
  const hook = `data:text/javascript,${encodeURIComponent(RECORD_PACKAGES)}`;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--import', hook, entry, '--help'], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 60_000,
  });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /Usage: kitt/);
  const loaded = new Set(
    result.stderr
      .split('\n')
      .filter((line) => line.startsWith('package '))
      .map((line) => line.slice('package '.length)),
  );
  assert.ok(loaded.has('commander'), `the hook saw kitt's imports: ${[...loaded].join(', ')}`);
  const early = [...loaded].filter((name) => LOADED_ON_USE.some((lib) => name === lib || name.startsWith(`${lib}/`)));
  assert.deepEqual(early, [], 'imported at start instead of on use');
});
