import assert from 'node:assert/strict';
import { test } from 'node:test';
import { streamedRecord } from '../testing/request-records.js';
import { repeatStatistic, studentTCdf, studentTQuantile, summarizeRepeats } from './summarize-repeats.js';
import { summarizeRun } from './summarize-run.js';

const close = (actual: number | null | undefined, expected: number, tolerance: number, what: string) =>
  assert.ok(actual != null && Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);

test('t quantiles equal the two-sided 95 % column of the t table (NIST e-Handbook 1.3.6.7.2)', () => {
  // t(0.975, df), as printed to three decimals in the table
  const table: Array<[number, number]> = [
    [1, 12.706],
    [2, 4.303],
    [3, 3.182],
    [4, 2.776],
    [5, 2.571],
    [9, 2.262],
    [10, 2.228],
    [19, 2.093],
    [29, 2.045],
    [60, 2.0],
    [99, 1.984],
  ];
  for (const [df, t] of table) close(studentTQuantile(0.975, df), t, 0.0005, `df ${df}`);
  // the one-sided 0.95 column and the symmetry
  close(studentTQuantile(0.95, 1), 6.314, 0.0005, 'p 0.95 df 1');
  close(studentTQuantile(0.95, 10), 1.812, 0.0005, 'p 0.95 df 10');
  close(studentTQuantile(0.025, 4), -2.776, 0.0005, 'p 0.025 df 4');
  // df 1 is the Cauchy distribution: CDF(1) = 3/4 exactly
  close(studentTCdf(1, 1), 0.75, 1e-12, 'Cauchy CDF');
});

test('three repeats: mean, sample sd, CV and the t-interval by hand', () => {
  const s = repeatStatistic('throughput', 'req/s', [10, 12, 14]);
  assert.equal(s.n, 3);
  assert.equal(s.mean, 12);
  // deviations -2, 0, 2: (4 + 0 + 4) / (3 - 1) = 4, sd 2
  close(s.sd, 2, 1e-12, 'sd');
  close(s.cv, 2 / 12, 1e-12, 'cv');
  // t(0.975, 2) = 4.302652729911275; half width 4.30265 · 2 / √3 = 4.968275
  close(s.interval?.t, 4.302652729911275, 1e-9, 't');
  close(s.interval?.low, 12 - 4.968275423687506, 1e-8, 'low');
  close(s.interval?.high, 12 + 4.968275423687506, 1e-8, 'high');
});

test('four repeats: deviations -2, 2, -6, 6 give sd √(80/3) and a half width of 8.217', () => {
  const s = repeatStatistic('TTFT p50', 'ms', [100, 104, 96, 108]);
  assert.equal(s.mean, 102);
  close(s.sd, Math.sqrt(80 / 3), 1e-12, 'sd');
  close(s.cv, Math.sqrt(80 / 3) / 102, 1e-12, 'cv');
  close(s.interval && s.interval.high - 102, 8.217041027043516, 1e-8, 'half width');
});

test('one repeat has a mean but no spread and no interval', () => {
  const s = repeatStatistic('throughput', 'req/s', [7.5]);
  assert.equal(s.mean, 7.5);
  assert.equal(s.sd, null);
  assert.equal(s.cv, null);
  assert.equal(s.interval, null);
});

test('a series summary covers the headline metrics of real run summaries, goodput only with an SLO', () => {
  const runs = [20, 30].map((ttftMs) =>
    summarizeRun(
      [0, 1, 2, 3].map((id) =>
        streamedRecord({ id, sentAtMs: id * 100, arrivalsAtMs: [0, 10, 20].map((at) => id * 100 + ttftMs + at) }),
      ),
    ),
  );
  const summary = summarizeRepeats(runs);
  assert.equal(summary.goodputRequestsPerS, undefined);
  assert.deepEqual(summary['ttftMs.p50']?.values, [runs[0]!.ttftMs.p50, runs[1]!.ttftMs.p50]);
  close(summary['ttftMs.p50']?.mean, 25, 0.1, 'TTFT p50 mean of 20 and 30 ms');
  assert.equal(summary['ttftMs.p50']?.n, 2);
  assert.ok(summary.requestsPerS && summary.requestsPerS.n === 2);
  assert.deepEqual(
    Object.keys(summary).filter((k) => k.startsWith('itlMs')),
    ['itlMs.p50', 'itlMs.p90', 'itlMs.p99'],
  );
});

test('an interval that would reach below zero is clipped at zero and says so', () => {
  // mean 1, sd 1: 1 − 4.303 · 1 / √3 = −1.484 for a rate that cannot be negative
  const s = repeatStatistic('throughput', 'req/s', [0, 1, 2]);
  assert.equal(s.interval?.low, 0);
  assert.equal(s.interval?.clipped, true);
  close(s.interval?.high, 1 + 4.302652729911275 / Math.sqrt(3), 1e-8, 'high end untouched');
  assert.equal(repeatStatistic('throughput', 'req/s', [10, 12, 14]).interval?.clipped, false);
  const signed = repeatStatistic('drift', 'ms', [0, 1, 2], Number.NEGATIVE_INFINITY);
  close(signed.interval?.low, 1 - 4.302652729911275 / Math.sqrt(3), 1e-8, 'no floor, no clip');
});
