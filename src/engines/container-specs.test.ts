import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerSpec } from '../runtime/container-runtime.js';
import { engineDefinition } from './catalog.js';
import type { EngineRequest } from './engine.js';
import type { DetectedModel, SelectedImage, ServerEngineName } from './engine-definition.js';
import { planLaunch } from './launch-plan.js';

const gib = 1024 ** 3;

function build(
  engine: ServerEngineName,
  model: DetectedModel,
  overrides: Partial<EngineRequest> = {},
  launch: { image?: SelectedImage; hostModelPath?: string } = {},
): ContainerSpec {
  const definition = engineDefinition(engine);
  const request: EngineRequest = {
    engine,
    mode: 'docker',
    modelPath: model.servePath,
    limits: { memoryBytes: 16 * gib, memorySwapBytes: 16 * gib, cpus: 4, pids: 512 },
    engineArgs: [],
    runId: '20261123T120000000Z-abc123',
    image: launch.image?.image ?? definition.images.at(-1)!.image,
    ...overrides,
  };
  const plan = planLaunch(request, {
    definition,
    host: { arch: 'amd64' },
    model: { ok: true, model },
    port: definition.defaultPort,
    gpuCount: 8,
    cpuCount: 4,
    owner: 'ada@lab',
    nameSuffix: 'a1b2c3',
    ...(launch.hostModelPath ? { hostModelPath: launch.hostModelPath } : {}),
  });
  assert.ok(plan.container, JSON.stringify(plan.checks));
  return plan.container;
}

/** The spec without its random name, after checking the name's shape. */
function withoutName(spec: ContainerSpec, engine: string): Omit<ContainerSpec, 'name'> {
  assert.match(spec.name, new RegExp(`^kitt-${engine}-abc123-[0-9a-f]{6}$`));
  const { name: _name, ...rest } = spec;
  return rest;
}

const labels = (engine: string) => ({
  'kitt.managed': 'true',
  'kitt.run-id': '20261123T120000000Z-abc123',
  'kitt.engine': engine,
  'kitt.owner': 'ada@lab',
});
const limits = { memoryBytes: 16 * gib, memorySwapBytes: 16 * gib, cpus: 4, pids: 512 };
const hf = (path: string): DetectedModel => ({ format: 'safetensors', servePath: path, kind: 'directory' });

test('vLLM with all GPUs: model folder read-only, served name, loopback, shm, no CUDA_VISIBLE_DEVICES', () => {
  const spec = build('vllm', hf('/srv/models/Llama-3.1-8B'), { limits: { ...limits, gpus: 'all' }, parallel: 64 });
  assert.deepEqual(withoutName(spec, 'vllm'), {
    image: 'vllm/vllm-openai:v0.10.1.1',
    cmd: [
      '--model',
      '/models/Llama-3.1-8B',
      '--served-model-name',
      'Llama-3.1-8B',
      '--host',
      '127.0.0.1',
      '--port',
      '8000',
      '--max-num-seqs',
      '64',
    ],
    env: {},
    labels: labels('vllm'),
    network: 'host',
    mounts: [{ type: 'bind', source: '/srv/models/Llama-3.1-8B', target: '/models/Llama-3.1-8B', readOnly: true }],
    limits: { ...limits, gpus: 'all' },
    shmSizeBytes: 8 * gib,
  });
});

test('vLLM on GPUs 1 and 3: devices requested by host index, renumbered 0,1 inside', () => {
  const spec = build('vllm', hf('/srv/models/m'), {
    limits: { gpus: [1, 3] },
    engineArgs: ['--tensor-parallel-size', '2', '--port=9000'],
  });
  assert.deepEqual(spec.limits, { gpus: [1, 3] });
  assert.deepEqual(spec.env, { CUDA_VISIBLE_DEVICES: '0,1' });
  // a flag passed through replaces kitt's default instead of doubling it
  assert.deepEqual(spec.cmd, [
    '--model',
    '/models/m',
    '--served-model-name',
    'm',
    '--host',
    '127.0.0.1',
    '--tensor-parallel-size',
    '2',
    '--port=9000',
  ]);
});

test('vLLM on an NGC image is started with vllm serve', () => {
  const spec = build(
    'vllm',
    hf('/m/x'),
    {},
    { image: { image: 'nvcr.io/nvidia/vllm:25.09-py3', entrypoint: ['vllm', 'serve'], source: 'catalog' } },
  );
  assert.deepEqual(spec.entrypoint, ['vllm', 'serve']);
});

test('Ollama: serve with OLLAMA_* env, the GGUF read-only and the persistent model volume', () => {
  const gguf: DetectedModel = { format: 'gguf', servePath: '/srv/models/qwen.gguf', kind: 'file' };
  const spec = build('ollama', gguf, {
    parallel: 4,
    engineArgs: ['OLLAMA_FLASH_ATTENTION=1'],
    limits: { ...limits, gpus: [0] },
  });
  assert.deepEqual(withoutName(spec, 'ollama'), {
    image: 'ollama/ollama:0.12.3',
    cmd: ['serve'],
    env: {
      OLLAMA_HOST: '127.0.0.1:11434',
      OLLAMA_KEEP_ALIVE: '-1',
      OLLAMA_NUM_PARALLEL: '4',
      OLLAMA_FLASH_ATTENTION: '1',
      CUDA_VISIBLE_DEVICES: '0',
    },
    labels: labels('ollama'),
    network: 'host',
    mounts: [
      { type: 'bind', source: '/srv/models/qwen.gguf', target: '/models/qwen.gguf', readOnly: true },
      { type: 'volume', source: 'kitt-ollama-models', target: '/root/.ollama', readOnly: false },
    ],
    limits: { ...limits, gpus: [0] },
  });
});

test('Ollama refuses pass-through flags that are not OLLAMA_* settings', () => {
  const gguf: DetectedModel = { format: 'gguf', servePath: '/m.gguf', kind: 'file' };
  assert.throws(() => build('ollama', gguf, { engineArgs: ['--verbose'] }), /not an OLLAMA_\*=value setting/);
});

test('ExLlamaV2 through TabbyAPI: main.py with model dir and name, auth off, loopback port', () => {
  const exl2: DetectedModel = { format: 'exl2', servePath: '/srv/models/Mistral-7B-exl2-4.0bpw', kind: 'directory' };
  const spec = build('exllamav2', exl2, { limits: { gpus: 'all' }, parallel: 8 });
  assert.deepEqual(withoutName(spec, 'exllamav2'), {
    image: 'ghcr.io/theroyallab/tabbyapi:latest',
    cmd: [
      'main.py',
      '--host',
      '127.0.0.1',
      '--port',
      '8000',
      '--disable-auth',
      'true',
      '--model-dir',
      '/models',
      '--model-name',
      'Mistral-7B-exl2-4.0bpw',
      '--max-batch-size',
      '8',
    ],
    env: {},
    labels: labels('exllamav2'),
    network: 'host',
    mounts: [
      {
        type: 'bind',
        source: '/srv/models/Mistral-7B-exl2-4.0bpw',
        target: '/models/Mistral-7B-exl2-4.0bpw',
        readOnly: true,
      },
    ],
    limits: { gpus: 'all' },
  });
});

test('llama.cpp on CPU: GGUF read-only, slots, context per slot, threads, metrics on', () => {
  const gguf: DetectedModel = { format: 'gguf', servePath: '/home/ada/tiny.gguf', kind: 'file' };
  const spec = build(
    'llamacpp',
    gguf,
    { parallel: 2, threads: 1, limits: { memoryBytes: gib, memorySwapBytes: gib, cpus: 1 } },
    {
      hostModelPath: '/srv/host/tiny.gguf',
    },
  );
  assert.deepEqual(withoutName(spec, 'llamacpp'), {
    image: 'kitt/llama-server:cpu',
    cmd: [
      '--model',
      '/models/tiny.gguf',
      '--alias',
      'tiny',
      '--host',
      '127.0.0.1',
      '--port',
      '8081',
      '--parallel',
      '2',
      '--ctx-size',
      '8192',
      '--threads',
      '1',
      '--metrics',
    ],
    env: {},
    labels: labels('llamacpp'),
    network: 'host',
    mounts: [{ type: 'bind', source: '/srv/host/tiny.gguf', target: '/models/tiny.gguf', readOnly: true }],
    limits: { memoryBytes: gib, memorySwapBytes: gib, cpus: 1 },
  });
});

test('llama.cpp under a CPU quota with no --threads runs ⌊cpus⌋ threads, not one per host core', () => {
  const gguf: DetectedModel = { format: 'gguf', servePath: '/m.gguf', kind: 'file' };
  const threadsOf = (overrides: Partial<EngineRequest>) => {
    const cmd = build('llamacpp', gguf, overrides).cmd;
    return cmd.includes('--threads') ? cmd[cmd.indexOf('--threads') + 1] : undefined;
  };
  assert.equal(threadsOf({ limits: { cpus: 1 } }), '1');
  assert.equal(threadsOf({ limits: { cpus: 2.5 } }), '2');
  assert.equal(threadsOf({ limits: { cpus: 0.5 } }), '1');
  assert.equal(threadsOf({ limits: { cpus: 1 }, threads: 3 }), '3');
  assert.equal(threadsOf({ limits: {} }), undefined);
});

test('llama.cpp with GPUs offloads every layer', () => {
  const gguf: DetectedModel = { format: 'gguf', servePath: '/m.gguf', kind: 'file' };
  assert.ok(
    build('llamacpp', gguf, { limits: { gpus: [2] } })
      .cmd.join(' ')
      .includes('--n-gpu-layers 999'),
  );
});

test('native commands use host paths, host GPU indices and the same flags', () => {
  const gguf: DetectedModel = { format: 'gguf', servePath: '/home/ada/tiny.gguf', kind: 'file' };
  const request: EngineRequest = {
    engine: 'llamacpp',
    mode: 'native',
    modelPath: gguf.servePath,
    limits: { gpus: [2, 5] },
    engineArgs: [],
    runId: 'r',
  };
  const facts = (engine: ServerEngineName, model: DetectedModel, port: number) => ({
    definition: engineDefinition(engine),
    host: { arch: 'amd64' as const },
    model: { ok: true as const, model },
    port,
    gpuCount: 8,
    cpuCount: 4,
    owner: 'ada@lab',
    nameSuffix: 'a1b2c3',
  });
  const native = planLaunch(request, facts('llamacpp', gguf, 18081)).command!;
  assert.equal(native.command, 'llama-server');
  assert.deepEqual(native.env, { CUDA_VISIBLE_DEVICES: '2,5' });
  assert.deepEqual(native.args.slice(0, 4), ['--model', '/home/ada/tiny.gguf', '--alias', 'tiny']);
  const vllm = planLaunch({ ...request, engine: 'vllm' }, facts('vllm', hf('/srv/m'), 8000)).command!;
  assert.deepEqual([vllm.command, vllm.args[0]], ['vllm', 'serve']);
  const exl2 = planLaunch({ ...request, engine: 'exllamav2' }, facts('exllamav2', hf('/srv/m'), 1));
  assert.equal(exl2.command, undefined);
  assert.match(exl2.checks.find((c) => !c.ok)?.hint ?? '', /--mode docker/);
});
