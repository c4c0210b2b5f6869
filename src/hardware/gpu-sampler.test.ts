import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gpuSamplerArgs, gpuSamplesJsonl, parseGpuSampleLine, startGpuSampler } from './gpu-sampler.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const lines = (name: string) =>
  readFileSync(fixture(name), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');

test('nvidia-smi is asked for one CSV line per GPU every interval, without units', () => {
  assert.deepEqual(gpuSamplerArgs(500), [
    '--query-gpu=index,uuid,utilization.gpu,memory.used,memory.total,power.draw,clocks.sm,clocks.mem',
    '--format=csv,noheader,nounits',
    '-lms',
    '500',
  ]);
});

test('several GPUs: every figure of each line is read', () => {
  const samples = lines('sample-h100x2.csv').map((line) => parseGpuSampleLine(line, 7));
  assert.deepEqual(samples[1], {
    atMs: 7,
    index: 1,
    uuid: 'GPU-5c3e1a9d-0f5b-4b6e-8a53-1d2f0c9b7e02',
    utilizationPercent: 4,
    memoryUsedMiB: 72790,
    memoryTotalMiB: 81559,
    powerW: 140.37,
    smClockMHz: 1980,
    memClockMHz: 2619,
  });
  assert.equal(samples[0]!.powerW, 145.21);
});

test('unavailable figures are null, each spelling: MIG utilisation, unified memory, old GeForce power', () => {
  const mig = parseGpuSampleLine(lines('sample-a800-mig.csv')[0]!, 0)!;
  assert.equal(mig.utilizationPercent, null);
  assert.equal(mig.powerW, 87);
  assert.equal(mig.memoryUsedMiB, 36537);
  const spark = parseGpuSampleLine(lines('sample-gb10-spark.csv')[0]!, 0)!;
  assert.equal(spark.memoryUsedMiB, null);
  assert.equal(spark.memoryTotalMiB, null);
  assert.equal(spark.memClockMHz, null);
  assert.equal(spark.powerW, 31.07);
  const geforce = parseGpuSampleLine(lines('sample-geforce-not-supported.csv')[0]!, 0)!;
  assert.equal(geforce.powerW, null);
  assert.equal(geforce.utilizationPercent, 31);
  const rtx = parseGpuSampleLine(lines('sample-rtx2080.csv')[0]!, 0)!;
  assert.deepEqual([rtx.utilizationPercent, rtx.powerW, rtx.smClockMHz, rtx.memClockMHz], [86, 176.98, 1965, 7199]);
});

test('lines that are not samples are not read as GPUs', () => {
  assert.equal(parseGpuSampleLine('No devices were found', 0), null);
  assert.equal(parseGpuSampleLine('', 0), null);
  assert.equal(parseGpuSampleLine('Failed to initialize NVML: Driver/library version mismatch', 0), null);
});

test('the sampler stamps each line as it arrives and writes gpu.jsonl relative to the run start', async () => {
  // A stand-in for nvidia-smi: prints the recorded two-GPU lines every -lms milliseconds.
  const dir = mkdtempSync(join(tmpdir(), 'kitt-gpu-'));
  const script = join(dir, 'nvidia-smi.js');
  writeFileSync(
    script,
    `const lines = ${JSON.stringify(lines('sample-h100x2.csv'))};
const ms = Number(process.argv[process.argv.indexOf('-lms') + 1]);
const tick = () => process.stdout.write(lines.join('\\n') + '\\n');
tick(); setInterval(tick, ms);`,
  );
  const sampler = startGpuSampler({
    nowMs: () => performance.now(),
    intervalMs: 40,
    command: process.execPath,
    commandArgs: [script],
  });
  const origin = performance.now();
  // long enough for the stand-in to start on a busy host (node start-up alone can take 0.5 s)
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const { samples, reason } = await sampler.stop();
  assert.equal(reason, undefined);
  assert.ok(samples.length >= 6, `${samples.length} samples`);
  assert.deepEqual(new Set(samples.map((s) => s.index)), new Set([0, 1]));
  for (let i = 1; i < samples.length; i++) assert.ok(samples[i]!.atMs >= samples[i - 1]!.atMs);
  const written = gpuSamplesJsonl(samples, origin).trimEnd().split('\n');
  assert.equal(written.length, samples.length);
  assert.equal(JSON.parse(written[0]!).powerW, 145.21);
  assert.ok(Math.abs(JSON.parse(written[0]!).atMs - (samples[0]!.atMs - origin)) < 0.001);
});

test('a host without nvidia-smi gives no samples and says why', async () => {
  const sampler = startGpuSampler({ nowMs: () => performance.now(), command: 'kitt-no-such-nvidia-smi' });
  const { samples, reason } = await sampler.stop();
  assert.equal(samples.length, 0);
  assert.equal(reason, 'nvidia-smi is not installed');
});
