import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerSpec } from '../container-runtime.js';
import { DEFAULT_PIDS_LIMIT, exitInfoFrom, limitsFromHostConfig, toCreateOptions } from './create-options.js';

const spec: ContainerSpec = {
  name: 'kitt-llamacpp-3fa9c1-ab12cd',
  image: 'kitt/llama-server:cpu',
  cmd: ['-m', '/models/m.gguf', '--port', '8081'],
  env: { CUDA_VISIBLE_DEVICES: '0,2' },
  labels: { 'kitt.run-id': 'r1', 'kitt.engine': 'llamacpp', 'kitt.owner': 'someone@else' },
  mounts: [
    { type: 'bind', source: '/data/m.gguf', target: '/models/m.gguf', readOnly: true },
    { type: 'volume', source: 'kitt-ollama-models', target: '/root/.ollama', readOnly: false },
  ],
  network: 'host',
  limits: { memoryBytes: 4 << 30, cpus: 2, pids: 256, gpus: [0, 2] },
  shmSizeBytes: 1 << 30,
};

test('the create request carries host networking, limits, GPU ids, mounts and kitt’s labels', () => {
  assert.deepEqual(toCreateOptions(spec, 'root@vm:42:1000'), {
    name: 'kitt-llamacpp-3fa9c1-ab12cd',
    Image: 'kitt/llama-server:cpu',
    Cmd: ['-m', '/models/m.gguf', '--port', '8081'],
    Env: ['CUDA_VISIBLE_DEVICES=0,2'],
    Labels: {
      'kitt.run-id': 'r1',
      'kitt.engine': 'llamacpp',
      'kitt.owner': 'root@vm:42:1000',
      'kitt.managed': 'true',
    },
    HostConfig: {
      NetworkMode: 'host',
      Mounts: [
        { Type: 'bind', Source: '/data/m.gguf', Target: '/models/m.gguf', ReadOnly: true },
        { Type: 'volume', Source: 'kitt-ollama-models', Target: '/root/.ollama', ReadOnly: false },
      ],
      Memory: 4 << 30,
      MemorySwap: 4 << 30,
      NanoCpus: 2_000_000_000,
      PidsLimit: 256,
      DeviceRequests: [{ Driver: 'nvidia', DeviceIDs: ['0', '2'], Capabilities: [['gpu']] }],
      ShmSize: 1 << 30,
      SecurityOpt: ['no-new-privileges:true'],
      CapDrop: ['ALL'],
    },
  });
});

test('all GPUs is Count −1; explicit swap is kept; no limits means no limit fields but the default pids limit', () => {
  const all = toCreateOptions({ ...spec, limits: { gpus: 'all', memoryBytes: 100, memorySwapBytes: 300 } }, 'o');
  assert.deepEqual(all.HostConfig?.DeviceRequests, [{ Driver: 'nvidia', Count: -1, Capabilities: [['gpu']] }]);
  assert.equal(all.HostConfig?.MemorySwap, 300);
  const none = toCreateOptions({ ...spec, limits: {}, shmSizeBytes: undefined }, 'o');
  assert.deepEqual(Object.keys(none.HostConfig ?? {}), [
    'NetworkMode',
    'Mounts',
    'PidsLimit',
    'SecurityOpt',
    'CapDrop',
  ]);
  assert.equal(none.HostConfig?.PidsLimit, DEFAULT_PIDS_LIMIT);
});

test('limits read back from inspect data, including CPU quota set by other tools', () => {
  assert.deepEqual(
    limitsFromHostConfig({
      Memory: 64,
      MemorySwap: 128,
      NanoCpus: 500_000_000,
      PidsLimit: 32,
      DeviceRequests: [{ Count: -1, Capabilities: [['gpu']] }],
    }),
    { memoryBytes: 64, memorySwapBytes: 128, cpus: 0.5, pids: 32, gpus: 'all' },
  );
  assert.deepEqual(limitsFromHostConfig({ CpuQuota: 150_000, CpuPeriod: 100_000, MemorySwap: -1, PidsLimit: -1 }), {
    cpus: 1.5,
  });
  assert.deepEqual(limitsFromHostConfig(undefined), {});
});

test('exit reasons name OOM kills with the limit, signals, and plain exit codes', () => {
  assert.equal(exitInfoFrom(137, true, { memoryBytes: 1 << 30 }).reason, 'OOM-killed at the 1.0 GiB memory limit');
  assert.deepEqual(exitInfoFrom(143, false, {}), {
    exitCode: 143,
    signal: 'SIGTERM',
    oomKilled: false,
    reason: 'ended by SIGTERM (exit code 143)',
  });
  assert.equal(exitInfoFrom(1, false, {}).reason, 'exited with code 1');
  assert.equal(exitInfoFrom(0, false, {}).signal, null);
});
