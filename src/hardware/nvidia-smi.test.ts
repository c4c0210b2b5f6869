import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { NVIDIA_SMI_FIELDS, nvidiaSmiArgs, parseNvidiaSmiCsv, readGpus } from './nvidia-smi.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

test('eight H100s parse in index order with memory, compute capability and bus ids', () => {
  const gpus = parseNvidiaSmiCsv(fixture('h100x8.csv'));
  assert.equal(gpus.length, 8);
  assert.deepEqual(
    gpus.map((gpu) => gpu.index),
    [0, 1, 2, 3, 4, 5, 6, 7],
  );
  assert.deepEqual(gpus[0], {
    index: 0,
    name: 'NVIDIA H100 80GB HBM3',
    uuid: 'GPU-5c3e1a9d-0f5b-4b6e-8a53-1d2f0c9b7e01',
    memoryMiB: 81559,
    driverVersion: '550.54.15',
    computeCapability: '9.0',
    pciBusId: '00000000:18:00.0',
    migMode: 'disabled',
  });
  assert.equal(gpus[7]?.pciBusId, '00000000:DB:00.0');
});

test('a MIG-enabled A100 is marked and its siblings are not', () => {
  const gpus = parseNvidiaSmiCsv(fixture('a100x4-mig.csv'));
  assert.deepEqual(
    gpus.map((gpu) => gpu.migMode),
    ['enabled', 'disabled', 'disabled', 'disabled'],
  );
  assert.ok(gpus.every((gpu) => gpu.memoryMiB === 81920 && gpu.computeCapability === '8.0'));
});

test('unified memory on a DGX Spark GB10 reads as unknown memory, not zero', () => {
  const [gpu] = parseNvidiaSmiCsv(fixture('gb10-spark.csv'));
  assert.equal(gpu?.name, 'NVIDIA GB10');
  assert.equal(gpu?.memoryMiB, undefined);
  assert.equal(gpu?.migMode, undefined);
  assert.equal(gpu?.computeCapability, '12.1');
  assert.equal(gpu?.pciBusId, '0000000F:01:00.0');
});

test('[Not Supported] from older drivers reads as unknown', () => {
  const [gpu] = parseNvidiaSmiCsv(fixture('geforce-not-supported.csv'));
  assert.equal(gpu?.name, 'GeForce GTX 780');
  assert.equal(gpu?.migMode, undefined);
  assert.equal(gpu?.memoryMiB, 3022);
  assert.equal(gpu?.driverVersion, '450.66');
});

test('pre-Ampere GPUs report MIG as [N/A]', () => {
  const gpus = parseNvidiaSmiCsv(fixture('quadro-rtx4000x2.csv'));
  assert.equal(gpus.length, 2);
  assert.ok(gpus.every((gpu) => gpu.migMode === undefined && gpu.memoryMiB === 8192));
});

test('readGpus asks for the documented fields and says why when nvidia-smi is missing', async () => {
  assert.deepEqual(nvidiaSmiArgs(), [`--query-gpu=${NVIDIA_SMI_FIELDS.join(',')}`, '--format=csv,noheader,nounits']);
  const missing = await readGpus(async () => {
    throw Object.assign(new Error('spawn nvidia-smi ENOENT'), { code: 'ENOENT' });
  });
  assert.deepEqual(missing, { available: false, reason: 'nvidia-smi is not installed' });
});

test('a driver that does not know compute_cap is asked again without it', async () => {
  const calls: string[][] = [];
  const report = await readGpus(async (_file, args) => {
    calls.push([...args]);
    if (args[0]?.includes('compute_cap')) {
      throw Object.assign(new Error('exit 2'), {
        code: 2,
        stdout: 'Field "compute_cap" is not a valid field to query.\n',
      });
    }
    return '0, GeForce RTX 2080, GPU-22b2c6ac-2d49-4863-197c-9c469071178a, 7979, 440.64, 00000000:0A:00.0\n';
  });
  assert.equal(calls.length, 2);
  assert.ok(report.available);
  assert.equal(report.gpus[0]?.memoryMiB, 7979);
  assert.equal(report.gpus[0]?.computeCapability, undefined);
  assert.equal(report.gpus[0]?.pciBusId, '00000000:0A:00.0');
});
