import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StatsSample } from './container-runtime.js';
import { formatStatsJsonl, sampleStats, summarizeStats } from './sample-stats.js';

function sample(atMs: number, overrides: Partial<StatsSample> = {}): StatsSample {
  return {
    atMs,
    cpuPercentOfLimit: 50,
    cpuPercentOfHost: 25,
    cpuCores: 0.5,
    throttledPeriods: 1,
    throttledTimeMs: 10,
    memoryBytes: 100,
    memoryLimitBytes: 1000,
    pids: 3,
    netRxBytes: atMs,
    netTxBytes: 2 * atMs,
    ...overrides,
  };
}

const source = (samples: StatsSample[]) => ({
  async *stats() {
    yield* samples;
  },
});

test('summaries give mean and max of gauges, sums of throttling, growth of network counters', () => {
  const summary = summarizeStats([
    sample(1000, { cpuPercentOfLimit: 40, memoryBytes: 100 }),
    sample(2000, { cpuPercentOfLimit: 100, memoryBytes: 300, throttledPeriods: 4 }),
  ]);
  assert.deepEqual(summary.cpuPercentOfLimit, { mean: 70, max: 100 });
  assert.deepEqual(summary.memoryBytes, { mean: 200, max: 300 });
  assert.equal(summary.throttledPeriods, 5);
  assert.equal(summary.throttledTimeMs, 20);
  assert.equal(summary.netRxBytes, 1000);
  assert.equal(summary.netTxBytes, 2000);
  assert.equal(summary.durationMs, 1000);
  assert.equal(summary.sampleCount, 2);
});

test('an empty series summarises to zeros, not NaN', () => {
  const summary = summarizeStats([]);
  assert.deepEqual(summary.cpuPercentOfLimit, { mean: 0, max: 0 });
  assert.equal(summary.sampleCount, 0);
});

test('downsampling keeps one reading per interval and folds the dropped throttling into the next', async () => {
  const { samples } = await sampleStats(
    source([sample(0), sample(400), sample(1000), sample(1500), sample(2100)]),
    'ref',
    {
      intervalMs: 1000,
    },
  );
  assert.deepEqual(
    samples.map((s) => [s.atMs, s.throttledPeriods]),
    [
      [0, 1],
      [1000, 2],
      [2100, 2],
    ],
  );
});

test('stats.jsonl rows carry time since the run origin and every measured field', () => {
  const text = formatStatsJsonl([sample(1500.25), sample(2500.5)], 500);
  const rows = text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, number>);
  assert.equal(rows.length, 2);
  assert.equal(rows[0]!.tMs, 1000.25);
  assert.equal(rows[1]!.tMs, 2000.5);
  assert.equal(rows[0]!.atMs, undefined);
  assert.equal(rows[0]!.cpuPercentOfLimit, 50);
  assert.ok(text.endsWith('\n'));
});
