import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KittError } from '../core/errors.js';
import { parseSlo, requestBounds, SLO_EXAMPLE, SLO_PERCENTILE_EXAMPLE } from './slo.js';

test('SLO terms take durations with units, bare milliseconds, aliases and percentiles', () => {
  assert.deepEqual(parseSlo('ttft=1s,tpot=50ms,e2el=4000,itl=0.08s'), [
    { metric: 'ttft', boundMs: 1000, text: 'ttft=1s' },
    { metric: 'tpot', boundMs: 50, text: 'tpot=50ms' },
    { metric: 'e2e', boundMs: 4000, text: 'e2el=4000' },
    { metric: 'itl-max', boundMs: 80, text: 'itl=0.08s' },
  ]);
  assert.deepEqual(parseSlo('ttft-p99=800ms'), [
    { metric: 'ttft', percentile: 99, boundMs: 800, text: 'ttft-p99=800ms' },
  ]);
  assert.deepEqual(parseSlo('e2e-from-schedule-p95=2m')[0], {
    metric: 'e2e-from-schedule',
    percentile: 95,
    boundMs: 120_000,
    text: 'e2e-from-schedule-p95=2m',
  });
  assert.equal(parseSlo(SLO_EXAMPLE).length, 2, 'the example every help text shows parses');
  assert.equal(parseSlo(SLO_PERCENTILE_EXAMPLE)[0]?.percentile, 99);
});

test('request bounds are the terms without a percentile, in milliseconds', () => {
  assert.deepEqual(requestBounds(parseSlo('ttft=1s,tpot=50ms,ttft-p99=2s,ttft-from-schedule=3s')), {
    ttftMs: 1000,
    tpotMs: 50,
    ttftFromScheduleMs: 3000,
  });
});

test('one bad term is one line naming the grammar; several are listed together', () => {
  for (const text of ['latency=5ms', 'ttft=0', 'ttft=abc', 'ttft-p42=1s', '']) {
    assert.throws(
      () => parseSlo(text),
      (error: unknown) =>
        error instanceof KittError &&
        error.code === 'USAGE' &&
        !error.message.includes('\n') &&
        /e\.g\./.test(error.hint ?? ''),
      text,
    );
  }
  assert.throws(
    () => parseSlo('latency=5ms,ttft=soon,tpot=50ms'),
    (error: unknown) => {
      assert.ok(error instanceof KittError);
      const lines = error.message.split('\n');
      assert.equal(lines.length, 3, error.message);
      assert.match(lines[1]!, /"latency=5ms".*ttft, ttft-from-schedule, tpot/);
      assert.match(lines[2]!, /"ttft=soon" needs a duration/);
      return true;
    },
  );
});
