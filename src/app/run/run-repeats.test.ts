import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type RepeatsOutcome, renderRepeatsMarkdown } from './run-repeats.js';

const series = (clipped: boolean): RepeatsOutcome => ({
  group: '20261202T000000000Z-abcdef',
  of: 2,
  dir: '/tmp/series',
  runs: [],
  metrics: {
    requestsPerS: {
      label: 'req/s',
      unit: '1/s',
      values: [1, 3],
      n: 2,
      mean: 2,
      sd: 1.41,
      cv: 0.71,
      interval: { low: clipped ? 0 : 0.5, high: 14.7, t: 12.7, clipped },
    },
  },
});

test('repeats.md names the figures whose interval was clipped at zero, and says nothing when none was', () => {
  assert.match(
    renderRepeatsMarkdown(series(true)),
    /The interval of req\/s \(1\/s\) reached below zero and is clipped at 0/,
  );
  assert.doesNotMatch(renderRepeatsMarkdown(series(false)), /clipped/);
});
