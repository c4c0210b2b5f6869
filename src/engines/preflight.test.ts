import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { KittError } from '../core/errors.js';
import { ensureTestModel } from '../testing/test-model.js';
import { choosePort, isPortFree } from './choose-port.js';
import type { EngineRequest } from './engine.js';
import { assertPreflight, type PreflightRuntime, preflight } from './preflight.js';

type PreflightDeps = Parameters<typeof preflight>[1];

const dir = mkdtempSync(join(tmpdir(), 'kitt-preflight-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const gguf = await ensureTestModel();

/** A daemon stand-in that answers the way a real one would for the given state. */
function daemon(state: {
  up: boolean;
  images: string[];
  pullFails?: boolean;
}): PreflightRuntime & { pulled: string[] } {
  const pulled: string[] = [];
  return {
    pulled,
    describeEndpoint: () => 'unix:///var/run/docker.sock',
    ping: async () => {
      if (!state.up) throw new Error('connect ENOENT');
    },
    imageExists: async (image) => state.images.includes(image),
    pullImage: async (image) => {
      if (state.pullFails) throw new Error('manifest unknown');
      pulled.push(image);
    },
  };
}

const request = (overrides: Partial<EngineRequest> = {}): EngineRequest => ({
  engine: 'llamacpp',
  mode: 'docker',
  modelPath: gguf,
  limits: {},
  engineArgs: [],
  runId: 'r-1',
  port: 18_099,
  ...overrides,
});
const deps = (overrides: Partial<PreflightDeps> = {}): PreflightDeps => ({
  runtime: daemon({ up: true, images: ['kitt/llama-server:cpu'] }),
  host: { arch: 'amd64' },
  isPortFree: async () => true,
  countGpus: async () => 0,
  ...overrides,
});
const failures = (checks: Awaited<ReturnType<typeof preflight>>) =>
  checks.filter((c) => !c.ok).map((c) => `${c.code}: ${c.detail} (${c.hint})`);

test('everything in place passes every check', async () => {
  const checks = await preflight(request(), deps());
  assert.deepEqual(
    checks.map((c) => [c.name, c.ok]),
    [
      ['docker', true],
      ['image', true],
      ['model', true],
      ['port', true],
    ],
  );
  assert.doesNotThrow(() => assertPreflight(checks));
});

test('an unreachable daemon names DOCKER_HOST and the other modes', async () => {
  const checks = await preflight(request(), deps({ runtime: daemon({ up: false, images: [] }) }));
  assert.deepEqual(failures(checks), [
    'RUNTIME_UNREACHABLE: docker is not reachable at unix:///var/run/docker.sock (start the Docker daemon, set DOCKER_HOST, or use --mode native / --mode embedded)',
  ]);
});

test('a missing kitt-built image names its build script and is never pulled', async () => {
  const runtime = daemon({ up: true, images: [] });
  const checks = await preflight(request(), deps({ runtime, pull: true }));
  assert.deepEqual(failures(checks), [
    'IMAGE_MISSING: image kitt/llama-server:cpu is missing (kitt builds it locally, it is never pulled) (build it: sh scripts/build-llamacpp-image.sh)',
  ]);
  assert.deepEqual(runtime.pulled, []);
});

test('a missing upstream image says --pull, and --pull pulls it', async () => {
  const ollama = request({ engine: 'ollama' });
  const missing = await preflight(ollama, deps({ runtime: daemon({ up: true, images: [] }) }));
  assert.deepEqual(failures(missing), [
    'IMAGE_MISSING: image ollama/ollama:0.12.3 is missing (run again with --pull, or docker pull ollama/ollama:0.12.3)',
  ]);
  const runtime = daemon({ up: true, images: [] });
  const pulled = await preflight(ollama, deps({ runtime, pull: true }));
  assert.deepEqual(failures(pulled), []);
  assert.deepEqual(runtime.pulled, ['ollama/ollama:0.12.3']);
});

test('a model of the wrong format names the engines that take it', async () => {
  const checks = await preflight(
    request({ engine: 'vllm', limits: { gpus: 'all' } }),
    deps({ countGpus: async () => 1 }),
  );
  assert.deepEqual(
    failures(checks).filter((f) => f.startsWith('MODEL')),
    [
      `MODEL_FORMAT_MISMATCH: vllm cannot load gguf models (it takes safetensors, pytorch); ${gguf} is gguf (use -e with one of: embedded, llamacpp, ollama, or a safetensors/pytorch model)`,
    ],
  );
});

test('a missing model is MODEL_NOT_FOUND', async () => {
  const checks = await preflight(request({ modelPath: join(dir, 'absent.gguf') }), deps());
  assert.deepEqual(failures(checks), [
    `MODEL_NOT_FOUND: model ${join(dir, 'absent.gguf')} does not exist (check the -m path (or MODEL_PATH))`,
  ]);
});

test('a port something listens on fails with --port as the fix', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    assert.equal(await isPortFree(port), false);
    const checks = await preflight(request({ port }), deps({ isPortFree }));
    assert.deepEqual(failures(checks), [
      `PORT_IN_USE: port ${port} is in use on 127.0.0.1 (stop what listens there or pass --port)`,
    ]);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  assert.equal(await isPortFree(port), true);
});

test('GPU engines fail on a host without GPUs; a missing index names the valid range', async () => {
  const vllm = request({ engine: 'vllm' });
  const none = await preflight(vllm, deps());
  assert.ok(
    failures(none).includes(
      'GPU_UNAVAILABLE: vllm needs an NVIDIA GPU and none was found (run on a GPU host, or use -e embedded / -e llamacpp / -e ollama on CPU)',
    ),
  );
  const two = await preflight(request({ limits: { gpus: [3] } }), deps({ countGpus: async () => 2 }));
  assert.deepEqual(
    failures(two).filter((f) => f.startsWith('GPU')),
    ['GPU_UNAVAILABLE: GPU index 3 asked for but only 2 GPU(s) present (pick --gpus between 0 and 1)'],
  );
});

test('native mode looks for the executable on PATH instead of Docker', async () => {
  const checks = await preflight(request({ mode: 'native' }), deps({ env: { PATH: dir } }));
  assert.deepEqual(failures(checks), [
    'ENGINE_FAILED: llama-server is not on PATH (install llama.cpp server or use --mode docker)',
  ]);
});

test('a mode the engine lacks is the only check reported', async () => {
  const checks = await preflight(request({ engine: 'exllamav2', mode: 'native' }), deps());
  assert.deepEqual(failures(checks), ['USAGE: exllamav2 does not run in native mode (use --mode docker)']);
});

test('every problem is reported at once, each with its fix, in one error line', async () => {
  const checks = await preflight(
    request({ engine: 'vllm', limits: { gpus: [1] } }),
    deps({ runtime: daemon({ up: false, images: [] }), isPortFree: async () => false }),
  );
  assert.deepEqual(
    checks.filter((c) => !c.ok).map((c) => c.name),
    ['docker', 'model', 'port', 'gpu'],
  );
  const error = (() => {
    try {
      assertPreflight(checks);
    } catch (e) {
      return e as KittError;
    }
    assert.fail('expected the failed checks to throw');
  })();
  assert.equal(error.code, 'RUNTIME_UNREACHABLE');
  assert.ok(!error.message.includes('\n'));
  assert.match(error.message, /^4 problems before starting: \(1\) docker is not reachable/);
  for (const fix of [
    'fix: start the Docker daemon',
    'fix: use -e with one of',
    'fix: stop what listens there',
    'fix: run on a GPU host',
  ]) {
    assert.ok(error.message.includes(fix), `${fix} in ${error.message}`);
  }
});

test('assertPreflight throws the first failure with its code and fix', () => {
  assert.throws(
    () =>
      assertPreflight([
        { name: 'docker', ok: true, detail: 'ok' },
        {
          name: 'port',
          ok: false,
          detail: 'port 8081 is in use on 127.0.0.1',
          hint: 'pass --port',
          code: 'PORT_IN_USE',
        },
      ]),
    (e: unknown) => e instanceof KittError && e.code === 'PORT_IN_USE' && e.hint === 'pass --port',
  );
});

test('a file with the GGUF magic but no valid header is MODEL_NOT_GGUF', async () => {
  const broken = join(dir, 'broken.gguf');
  writeFileSync(broken, Buffer.concat([Buffer.from('GGUF'), Buffer.alloc(28)]));
  const checks = await preflight(request({ modelPath: broken }), deps());
  const failed = checks.filter((c) => !c.ok);
  assert.deepEqual(
    failed.map((c) => [c.name, c.code]),
    [['model', 'MODEL_NOT_GGUF']],
  );
});

test('without --port an engine takes its usual port when free, else one the OS assigns', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const busy = (server.address() as { port: number }).port;
  try {
    assert.equal(await choosePort(undefined, busy + 1, async () => true), busy + 1);
    const other = await choosePort(undefined, busy);
    assert.notEqual(other, busy);
    assert.equal(await isPortFree(other), true);
    assert.equal(await choosePort(busy, 8081), busy, 'an explicit --port is kept (preflight then reports it busy)');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
