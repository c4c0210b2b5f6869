import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertSummaryMatches, seededRandom } from '../testing/exact-statistics.js';
import { streamedRecord } from '../testing/request-records.js';
import { LatencyHistogram } from './latency-histogram.js';
import { emptyHistograms, encodeHistograms, mergeEncodedHistograms, recordRequest } from './metric-histograms.js';
import { deriveRequestMetrics } from './request-metrics.js';

function heavyTailedSamples(n: number, seed: number): number[] {
  const random = seededRandom(seed);
  // log-uniform from 0.05 ms to 50 s: every HDR bucket magnitude a latency can have
  return Array.from({ length: n }, () => 0.05 * 10 ** (random() * 6));
}

test('HDR percentiles, mean, std, min and max equal the exact computation within HDR precision', () => {
  for (const n of [1, 2, 7, 100, 1000, 5003]) {
    const values = heavyTailedSamples(n, n);
    const histogram = LatencyHistogram.empty();
    for (const v of values) histogram.record(v);
    assertSummaryMatches(histogram.summarize(), values, `n=${n}`);
  }
});

test('an empty histogram reports a count of 0 and no statistics', () => {
  const summary = LatencyHistogram.empty().summarize();
  assert.equal(summary.count, 0);
  assert.equal(summary.p99, null);
  assert.equal(summary.mean, null);
});

test('zero durations are kept (min 0), not dropped as HDR min-non-zero would', () => {
  const histogram = LatencyHistogram.empty();
  histogram.record(0);
  histogram.record(5);
  assert.equal(histogram.summarize().min, 0);
  assert.equal(histogram.summarize().p50, 0);
});

test('merging two halves through base64 equals recording the whole', () => {
  const values = heavyTailedSamples(4000, 42);
  const whole = LatencyHistogram.empty();
  const first = LatencyHistogram.empty();
  const second = LatencyHistogram.empty();
  values.forEach((v, i) => {
    whole.record(v);
    (i % 2 === 0 ? first : second).record(v);
  });
  const merged = LatencyHistogram.decode(first.encode()).merge(LatencyHistogram.decode(second.encode()));
  assert.deepEqual(merged.summarize(), whole.summarize());
  // and a decoded histogram keeps recording
  merged.record(123);
  assert.equal(merged.count, values.length + 1);
});

test('per-metric histogram sets from two workers merge to the set of all requests', () => {
  const random = seededRandom(7);
  const records = Array.from({ length: 300 }, (_, id) => {
    const sent = id * 10;
    const ttft = 20 + random() * 200;
    const arrivals = Array.from(
      { length: 1 + Math.floor(random() * 20) },
      (_, k) => sent + ttft + k * (5 + random() * 30),
    );
    return streamedRecord({
      id,
      sentAtMs: sent,
      arrivalsAtMs: arrivals,
      tokens: arrivals.map(() => 1 + Math.floor(random() * 3)),
    });
  });
  const all = emptyHistograms();
  const workers = [emptyHistograms(), emptyHistograms()];
  records.forEach((r, i) => {
    const m = deriveRequestMetrics(r);
    recordRequest(all, m);
    recordRequest(workers[i % 2]!, m);
  });
  const merged = mergeEncodedHistograms(workers.map(encodeHistograms));
  for (const name of ['ttftMs', 'e2eMs', 'tpotMs', 'itlMs', 'chunkGapMs'] as const) {
    assert.deepEqual(merged[name].summarize(), all[name].summarize(), name);
  }
});
