import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { cgroupVersionOf, type DockerStatsJson, memoryInUse, parseDockerStats } from './parse-docker-stats.js';

function fixture(name: string): DockerStatsJson {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as DockerStatsJson;
}

const near = (actual: number, expected: number, tolerance = 1e-6) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not within ${tolerance} of ${expected}`);

test('a cgroup v1 container capped at 0.5 CPUs reads as half a core, 100 % of its limit, throttled', () => {
  const raw = fixture('stats-v1-cpus0.5-mem64m.json');
  const sample = parseDockerStats(raw, { atMs: 1234, cpuLimitCores: 0.5 });
  assert.ok(sample);
  // cpuDelta 2088138692 − 1588976067 = 499162625 ns; systemDelta 1.99e9 ns over 2 CPUs
  const share = 499162625 / 1.99e9;
  near(sample.cpuPercentOfHost, share * 100);
  near(sample.cpuCores, share * 2);
  near(sample.cpuPercentOfLimit, ((share * 2) / 0.5) * 100);
  assert.ok(sample.cpuPercentOfLimit > 95 && sample.cpuPercentOfLimit < 105);
  assert.equal(sample.throttledPeriods, 10);
  near(sample.throttledTimeMs, (5924358087 - 4452783771) / 1e6);
  assert.equal(sample.memoryBytes, 21323776);
  assert.equal(sample.memoryLimitBytes, 64 * 1024 * 1024);
  assert.equal(sample.pids, 3);
  assert.equal(sample.netRxBytes, 0);
  assert.equal(sample.atMs, 1234);
  assert.equal(cgroupVersionOf(raw), 1);
});

test('the stream’s first object has no interval and yields no sample', () => {
  assert.equal(parseDockerStats(fixture('stats-v1-first-read.json'), { atMs: 0 }), undefined);
});

test('the zeroed object Docker sends for a stopped container yields no sample', () => {
  const raw = { ...fixture('stats-v1-unlimited.json'), read: '0001-01-01T00:00:00Z' };
  assert.equal(parseDockerStats(raw, { atMs: 0 }), undefined);
});

test('without a CPU limit the percentage of the limit is the percentage of all host CPUs', () => {
  const raw = fixture('stats-v1-unlimited.json');
  const sample = parseDockerStats(raw, { atMs: 0 });
  assert.ok(sample);
  near(sample.cpuPercentOfLimit, sample.cpuPercentOfHost);
  // one spinning thread on a 2-CPU host: about one core
  assert.ok(sample.cpuCores > 0.8 && sample.cpuCores < 1.1, `cores ${sample.cpuCores}`);
  assert.equal(sample.throttledPeriods, 0);
  assert.equal(sample.memoryLimitBytes, raw.memory_stats?.limit);
});

test('a cgroup v2 object: CPU from usage deltas, memory without inactive_file, networks summed', () => {
  const raw = fixture('stats-v2-throttled.json');
  assert.equal(cgroupVersionOf(raw), 2);
  const sample = parseDockerStats(raw, { atMs: 5, cpuLimitCores: 1 });
  assert.ok(sample);
  const share = (17530096000 - 17524456000) / (96921790000000 - 96905750000000);
  near(sample.cpuPercentOfHost, share * 100);
  near(sample.cpuCores, share * 16);
  near(sample.cpuPercentOfLimit, share * 16 * 100);
  assert.equal(sample.throttledPeriods, 0);
  assert.equal(sample.throttledTimeMs, 0);
  assert.equal(sample.memoryBytes, 710574080 - 5636096);
  assert.equal(sample.memoryLimitBytes, 1073741824);
  assert.equal(sample.pids, 182);
  assert.equal(sample.netRxBytes, 97099);
  assert.equal(sample.netTxBytes, 441815);
});

test('memory in use keeps the whole usage when the inactive file cache exceeds it', () => {
  assert.equal(memoryInUse({ usage: 100, stats: { total_inactive_file: 40 } }), 60);
  assert.equal(memoryInUse({ usage: 100, stats: { inactive_file: 400 } }), 100);
  assert.equal(memoryInUse({ usage: 100 }), 100);
  assert.equal(memoryInUse(undefined), 0);
});
