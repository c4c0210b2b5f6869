import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { probeDocker } from './docker-probe.js';
import { collectHardware, fingerprintIdentity, hardwareIdentity } from './fingerprint.js';
import type { GpuReport } from './nvidia-smi.js';
import { parseNvidiaSmiCsv } from './nvidia-smi.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');
const GIB = 1024 ** 3;

function fingerprintOf(csv: string, overrides: { memoryTotalBytes?: number } = {}) {
  const gpu: GpuReport = { available: true, source: 'nvidia-smi', gpus: parseNvidiaSmiCsv(csv) };
  return fingerprintIdentity(
    hardwareIdentity({
      arch: 'x64',
      cpuModel: 'Intel(R) Xeon(R) Platinum 8480+',
      logicalCores: 224,
      memoryTotalBytes: overrides.memoryTotalBytes ?? 2015 * GIB,
      gpu,
    }),
  );
}

test('the hash stays the same when only the driver version changes', () => {
  const h100 = fixture('h100x8.csv');
  const newerDriver = h100.replaceAll('550.54.15', '570.86.15');
  assert.notEqual(h100, newerDriver);
  assert.equal(fingerprintOf(h100), fingerprintOf(newerDriver));
  assert.match(fingerprintOf(h100), /^[0-9a-f]{64}$/);
});

test('the hash ignores UUIDs, bus ids, MIG mode and a few MiB of memory', () => {
  const h100 = fixture('h100x8.csv');
  const other = h100.replaceAll('GPU-5c3e', 'GPU-9999').replaceAll('Disabled', 'Enabled');
  assert.equal(fingerprintOf(h100), fingerprintOf(other));
  assert.equal(
    fingerprintOf(h100, { memoryTotalBytes: 2015 * GIB }),
    fingerprintOf(h100, { memoryTotalBytes: 2015 * GIB - 40 * 1024 ** 2 }),
  );
});

test('the hash changes when the GPU count changes', () => {
  const h100 = fixture('h100x8.csv');
  const seven = h100.trim().split('\n').slice(0, 7).join('\n');
  assert.notEqual(fingerprintOf(h100), fingerprintOf(seven));
  assert.notEqual(fingerprintOf(h100), fingerprintOf(''));
});

test('the hash changes with the GPU model', () => {
  assert.notEqual(fingerprintOf(fixture('h100x8.csv')), fingerprintOf(fixture('a100x4-mig.csv')));
});

test('the Docker probe pings /_ping and reports the API version', async (t) => {
  const server = createServer((req, res) => {
    res.setHeader('Api-Version', '1.47');
    res.end(req.url === '/_ping' ? 'OK' : 'no');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const { port } = server.address() as { port: number };
  const answer = await probeDocker({ DOCKER_HOST: `tcp://127.0.0.1:${port}` }, 1000);
  assert.deepEqual(answer, { reachable: true, endpoint: `tcp://127.0.0.1:${port}`, apiVersion: '1.47' });
});

test('an absent Docker socket is unreachable, with the reason', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-docker-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const answer = await probeDocker({ DOCKER_HOST: `unix://${join(dir, 'docker.sock')}` }, 500);
  assert.equal(answer.reachable, false);
  assert.match(answer.error ?? '', /ENOENT/);
});

test('collecting this machine gives a hash that does not depend on free memory or Docker', async () => {
  const noGpu = async () => {
    throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
  };
  const first = await collectHardware({
    runCommand: noGpu,
    probeDocker: async () => ({ reachable: false, endpoint: 'unix:///x', error: 'no' }),
  });
  const second = await collectHardware({
    runCommand: noGpu,
    probeDocker: async () => ({ reachable: true, endpoint: 'unix:///x' }),
  });
  assert.equal(first.fingerprint, second.fingerprint);
  assert.ok(first.cpu.logicalCores >= 1);
  assert.ok(first.memory.totalBytes > 0);
  assert.deepEqual(first.gpu, { available: false, reason: 'nvidia-smi is not installed' });
  assert.deepEqual(first.identity.gpus, []);
});
