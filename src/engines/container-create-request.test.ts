import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toCreateOptions } from '../runtime/docker/create-options.js';
import { engineDefinition } from './catalog.js';
import type { EngineRequest } from './engine.js';
import type { DetectedModel, ServerEngineName } from './engine-definition.js';
import { planLaunch } from './launch-plan.js';

/**
 * The exact POST /containers/create body each engine produces, through the Docker adapter's own
 * translation, so what is asserted is what the daemon receives.
 */
const OWNER = 'ada@lab:4242:123456';
const gib = 1024 ** 3;

function createBody(
  engine: ServerEngineName,
  model: DetectedModel,
  overrides: Partial<EngineRequest>,
): Record<string, unknown> {
  const definition = engineDefinition(engine);
  const request: EngineRequest = {
    engine,
    mode: 'docker',
    modelPath: model.servePath,
    limits: {},
    engineArgs: [],
    runId: '20261123T120000000Z-abc123',
    image: definition.images.at(-1)!.image,
    ...overrides,
  };
  const spec = planLaunch(request, {
    definition,
    host: { arch: 'amd64' },
    model: { ok: true, model },
    port: definition.defaultPort,
    gpuCount: 8,
    cpuCount: 4,
    owner: OWNER,
    nameSuffix: 'a1b2c3',
  }).container!;
  const body = JSON.parse(JSON.stringify(toCreateOptions(spec, OWNER))) as Record<string, unknown>;
  assert.match(String(body.name), new RegExp(`^kitt-${engine}-abc123-[0-9a-f]{6}$`));
  delete body.name;
  return body;
}

const labels = (engine: string) => ({
  'kitt.managed': 'true',
  'kitt.run-id': '20261123T120000000Z-abc123',
  'kitt.engine': engine,
  'kitt.owner': OWNER,
});
const gpuAll = [{ Driver: 'nvidia', Count: -1, Capabilities: [['gpu']] }];

test('vLLM, all GPUs: the create request', () => {
  const model: DetectedModel = { format: 'safetensors', servePath: '/srv/models/Llama-3.1-8B', kind: 'directory' };
  assert.deepEqual(createBody('vllm', model, { limits: { memoryBytes: 32 * gib, cpus: 8, pids: 4096, gpus: 'all' } }), {
    Image: 'vllm/vllm-openai:v0.10.1.1',
    Cmd: [
      '--model',
      '/models/Llama-3.1-8B',
      '--served-model-name',
      'Llama-3.1-8B',
      '--host',
      '127.0.0.1',
      '--port',
      '8000',
    ],
    Env: [],
    Labels: labels('vllm'),
    HostConfig: {
      NetworkMode: 'host',
      Mounts: [{ Type: 'bind', Source: '/srv/models/Llama-3.1-8B', Target: '/models/Llama-3.1-8B', ReadOnly: true }],
      Memory: 32 * gib,
      MemorySwap: 32 * gib,
      NanoCpus: 8_000_000_000,
      PidsLimit: 4096,
      DeviceRequests: gpuAll,
      ShmSize: 8 * gib,
      SecurityOpt: ['no-new-privileges:true'],
      CapDrop: ['ALL'],
    },
  });
});

test('vLLM, GPUs 1 and 3: DeviceIDs by host index, CUDA_VISIBLE_DEVICES renumbered', () => {
  const model: DetectedModel = { format: 'safetensors', servePath: '/srv/models/m', kind: 'directory' };
  const body = createBody('vllm', model, { limits: { gpus: [1, 3] }, engineArgs: ['--tensor-parallel-size', '2'] }) as {
    Env: string[];
    HostConfig: { DeviceRequests: unknown };
    Cmd: string[];
  };
  assert.deepEqual(body.HostConfig.DeviceRequests, [
    { Driver: 'nvidia', DeviceIDs: ['1', '3'], Capabilities: [['gpu']] },
  ]);
  assert.deepEqual(body.Env, ['CUDA_VISIBLE_DEVICES=0,1']);
  assert.deepEqual(body.Cmd.slice(-2), ['--tensor-parallel-size', '2']);
});

test('Ollama: the create request with the persistent model volume', () => {
  const model: DetectedModel = { format: 'gguf', servePath: '/srv/models/qwen2.5-0.5b.gguf', kind: 'file' };
  assert.deepEqual(createBody('ollama', model, { limits: { memoryBytes: 8 * gib, gpus: [0] } }), {
    Image: 'ollama/ollama:0.12.3',
    Cmd: ['serve'],
    Env: ['OLLAMA_HOST=127.0.0.1:11434', 'OLLAMA_KEEP_ALIVE=-1', 'OLLAMA_NUM_PARALLEL=1', 'CUDA_VISIBLE_DEVICES=0'],
    Labels: labels('ollama'),
    HostConfig: {
      NetworkMode: 'host',
      Mounts: [
        { Type: 'bind', Source: '/srv/models/qwen2.5-0.5b.gguf', Target: '/models/qwen2.5-0.5b.gguf', ReadOnly: true },
        { Type: 'volume', Source: 'kitt-ollama-models', Target: '/root/.ollama', ReadOnly: false },
      ],
      Memory: 8 * gib,
      MemorySwap: 8 * gib,
      PidsLimit: 4096,
      DeviceRequests: [{ Driver: 'nvidia', DeviceIDs: ['0'], Capabilities: [['gpu']] }],
      SecurityOpt: ['no-new-privileges:true'],
      CapDrop: ['ALL'],
    },
  });
});

test('ExLlamaV2 (TabbyAPI): the create request', () => {
  const model: DetectedModel = { format: 'exl2', servePath: '/srv/models/Mistral-7B-exl2', kind: 'directory' };
  assert.deepEqual(createBody('exllamav2', model, { limits: { memoryBytes: 16 * gib, gpus: 'all' } }), {
    Image: 'ghcr.io/theroyallab/tabbyapi:latest',
    Cmd: [
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
      'Mistral-7B-exl2',
    ],
    Env: [],
    Labels: labels('exllamav2'),
    HostConfig: {
      NetworkMode: 'host',
      Mounts: [
        { Type: 'bind', Source: '/srv/models/Mistral-7B-exl2', Target: '/models/Mistral-7B-exl2', ReadOnly: true },
      ],
      Memory: 16 * gib,
      MemorySwap: 16 * gib,
      PidsLimit: 4096,
      DeviceRequests: gpuAll,
      SecurityOpt: ['no-new-privileges:true'],
      CapDrop: ['ALL'],
    },
  });
});

test('llama.cpp on CPU: the create request with every limit', () => {
  const model: DetectedModel = { format: 'gguf', servePath: '/srv/models/tiny.gguf', kind: 'file' };
  assert.deepEqual(
    createBody('llamacpp', model, {
      limits: { memoryBytes: gib, memorySwapBytes: 2 * gib, cpus: 1.5, pids: 256 },
      threads: 2,
    }),
    {
      Image: 'kitt/llama-server:cpu',
      Cmd: [
        '--model',
        '/models/tiny.gguf',
        '--alias',
        'tiny',
        '--host',
        '127.0.0.1',
        '--port',
        '8081',
        '--parallel',
        '1',
        '--ctx-size',
        '4096',
        '--threads',
        '2',
        '--metrics',
      ],
      Env: [],
      Labels: labels('llamacpp'),
      HostConfig: {
        NetworkMode: 'host',
        Mounts: [{ Type: 'bind', Source: '/srv/models/tiny.gguf', Target: '/models/tiny.gguf', ReadOnly: true }],
        Memory: gib,
        MemorySwap: 2 * gib,
        NanoCpus: 1_500_000_000,
        PidsLimit: 256,
        SecurityOpt: ['no-new-privileges:true'],
        CapDrop: ['ALL'],
      },
    },
  );
});
