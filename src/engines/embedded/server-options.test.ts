import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KittError } from '../../core/errors.js';
import { defaultEmbeddedThreads, formatServerArgs, parseServerArgs } from './server-options.js';
import { childExecArgv } from './spawn-embedded-child.js';

test('server arguments round-trip through format and parse', () => {
  const options = {
    modelPath: '/m.gguf',
    port: 8081,
    host: '127.0.0.1',
    parallel: 3,
    threads: 2,
    ctxSize: 1024,
    batchSize: 256,
    alias: 'tiny',
  };
  assert.deepEqual(parseServerArgs(formatServerArgs(options), 1), options);
});

test('defaults: port 0, one slot, loopback, the given thread count', () => {
  const options = parseServerArgs(['-m', '/m.gguf'], 2);
  assert.equal(options.port, 0);
  assert.equal(options.parallel, 1);
  assert.equal(options.host, '127.0.0.1');
  assert.equal(options.threads, 2);
});

test('bad server arguments are USAGE errors that name the flag', () => {
  const usage = (argv: string[], pattern: RegExp) =>
    assert.throws(
      () => parseServerArgs(argv, 1),
      (error: unknown) => error instanceof KittError && error.code === 'USAGE' && pattern.test(error.message),
    );
  usage(['--model', '/m', '--parallel', '0'], /--parallel must be an integer from 1/);
  usage(['--model', '/m', '--port', '70000'], /--port/);
  usage(['--model', '/m', '--frobnicate', '1'], /unknown embedded server argument --frobnicate/);
  usage([], /needs --model/);
});

test('default threads leave one CPU to kitt, at least 1 and at most 4', () => {
  assert.equal(defaultEmbeddedThreads(1), 1);
  assert.equal(defaultEmbeddedThreads(2), 1);
  assert.equal(defaultEmbeddedThreads(3), 2);
  assert.equal(defaultEmbeddedThreads(64), 4);
});

test('the child keeps loader flags and drops test-runner and debugger flags', () => {
  assert.deepEqual(
    childExecArgv([
      '--import',
      'tsx',
      '--test-concurrency=2',
      '--test-reporter',
      'spec',
      '--inspect',
      '--enable-source-maps',
    ]),
    ['--import', 'tsx', '--enable-source-maps'],
  );
});
