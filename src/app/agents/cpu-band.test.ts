import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { StatsSummary } from '../../runtime/sample-stats.js';
import { openStore } from '../../store/open-store.js';
import { calibrationBand, DEFAULT_CPU_BAND, judgeCpu } from './cpu-band.js';

const stats = (mean: number): StatsSummary => ({
  sampleCount: 10,
  durationMs: 9_000,
  cpuPercentOfLimit: { mean, max: mean + 5 },
  cpuPercentOfHost: { mean: mean / 2, max: mean / 2 },
  cpuCores: { mean: mean / 100, max: mean / 100 },
  memoryBytes: { mean: 1e8, max: 1e8 },
  memoryLimitBytes: 1e9,
  throttledPeriods: 0,
  throttledTimeMs: 0,
  pids: { mean: 10, max: 10 },
  netRxBytes: 0,
  netTxBytes: 0,
});

test('the mean CPU is judged inside, below or above the band; no samples, no verdict', () => {
  assert.equal(judgeCpu(stats(85), DEFAULT_CPU_BAND)?.verdict, 'inside');
  assert.equal(judgeCpu(stats(60), DEFAULT_CPU_BAND)?.verdict, 'below');
  assert.equal(judgeCpu(stats(97), DEFAULT_CPU_BAND)?.verdict, 'above');
  assert.equal(judgeCpu(null, DEFAULT_CPU_BAND), undefined);
  assert.equal(judgeCpu({ ...stats(85), sampleCount: 0 }, DEFAULT_CPU_BAND), undefined);
});

test("the band is the latest calibration's for the engine and limits, else calibrate's default", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-band-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openStore(join(dir, 'kitt.db'));
  try {
    assert.deepEqual(await calibrationBand(store, 'llamacpp', '1cpu-2GiB'), DEFAULT_CPU_BAND);
    await store.recordRunStarted({ id: 'cal-1', engine: 'llamacpp', mode: 'docker', model: 'm' });
    await store.recordCalibration({
      runId: 'cal-1',
      engine: 'llamacpp',
      limitsKey: '1cpu-2GiB',
      rateValue: 3,
      unit: 'requests/s',
      report: { cpuBand: { low: 70, high: 80 } },
    });
    assert.deepEqual(await calibrationBand(store, 'llamacpp', '1cpu-2GiB'), {
      low: 70,
      high: 80,
      from: 'calibration cal-1',
    });
    assert.deepEqual(await calibrationBand(store, 'llamacpp', '2cpu-2GiB'), DEFAULT_CPU_BAND);
  } finally {
    await store.close();
  }
});
