import assert from 'node:assert/strict';
import { test } from 'node:test';
import { engineRequestFrom, limitsFrom } from './engine-options.js';

const context = { runId: 'r', env: {} };

test('no flags means the embedded engine in embedded mode with the default model', () => {
  const request = engineRequestFrom({}, context);
  assert.equal(request.engine, 'embedded');
  assert.equal(request.mode, 'embedded');
  assert.equal(request.modelPath, '');
});

test('a server engine defaults to docker mode and MODEL_PATH fills the model', () => {
  const request = engineRequestFrom({ engine: 'llamacpp' }, { runId: 'r', env: { MODEL_PATH: '/m/x.gguf' } });
  assert.equal(request.mode, 'docker');
  assert.equal(request.modelPath, '/m/x.gguf');
});

test('the -m flag wins over MODEL_PATH, and KITT_ENGINE picks the engine when -e is absent', () => {
  const request = engineRequestFrom(
    { model: '/a.gguf' },
    { runId: 'r', env: { MODEL_PATH: '/b.gguf', KITT_ENGINE: 'llamacpp' } },
  );
  assert.equal(request.modelPath, '/a.gguf');
  assert.equal(request.engine, 'llamacpp');
});

test('limits parse Docker sizes; swap defaults to the memory limit so the engine cannot swap', () => {
  assert.deepEqual(limitsFrom({ memory: '1g', cpus: '0.5', pids: '64', gpus: '0,2' }), {
    memoryBytes: 1024 ** 3,
    memorySwapBytes: 1024 ** 3,
    cpus: 0.5,
    pids: 64,
    gpus: [0, 2],
  });
});

test('configured limits and ports are used as numbers under the flags', () => {
  const request = engineRequestFrom(
    { engine: 'llamacpp', cpus: '2' },
    {
      runId: 'r',
      env: {},
      defaults: {
        portFor: (engine) => (engine === 'llamacpp' ? 8181 : undefined),
        limits: { cpus: 1, pids: 64, memory: '1g' },
      },
    },
  );
  assert.equal(request.port, 8181);
  assert.deepEqual(request.limits, { cpus: 2, pids: 64, memoryBytes: 1024 ** 3, memorySwapBytes: 1024 ** 3 });
  assert.equal(
    engineRequestFrom({ engine: 'llamacpp', port: '9000' }, { runId: 'r', env: {}, defaults: { portFor: () => 8181 } })
      .port,
    9000,
  );
});

test('bad limits and modes are one usage error each that names the fix', () => {
  assert.throws(() => limitsFrom({ cpus: '0' }), /--cpus must be a number above 0.*/);
  assert.throws(() => limitsFrom({ memory: 'lots' }), /--memory must be a size, got "lots"/);
  assert.throws(() => limitsFrom({ memory: '1m' }), /below Docker's minimum/);
  assert.throws(() => limitsFrom({ memory: '1g', memorySwap: '512m' }), /--memory-swap must be at least --memory/);
  assert.throws(
    () => engineRequestFrom({ engine: 'embedded', mode: 'docker' }, context),
    /embedded does not run in docker mode/,
  );
  assert.throws(() => engineRequestFrom({ mode: 'vm' }, context), /unknown mode "vm"/);
  assert.throws(
    () => engineRequestFrom({ engine: 'lmdeploy' }, context),
    (error: Error & { hint?: string }) => {
      assert.match(error.message, /unknown engine "lmdeploy"/);
      assert.match(error.hint ?? '', /embedded, llamacpp, vllm, sglang, tgi, ollama, exllamav2/);
      return true;
    },
  );
  assert.throws(() => engineRequestFrom({ port: '70000' }, context), /not a TCP port/);
});

test('all engine flag problems come in one error, one line each', () => {
  assert.throws(
    () => engineRequestFrom({ engine: 'lmdeploy', cpus: 'many', memory: 'lots', port: '0', gpus: 'first' }, context),
    (error: Error) => {
      const lines = error.message.split('\n');
      assert.match(lines[0]!, /^5 problems with the options:$/);
      for (const expected of [
        /unknown engine "lmdeploy"/,
        /--cpus must be/,
        /--memory must be a size/,
        /--port must be/,
        /--gpus "first"/,
      ]) {
        assert.ok(
          lines.some((line) => expected.test(line)),
          `${expected}:\n${error.message}`,
        );
      }
      return true;
    },
  );
});
