import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KittError } from '../core/errors.js';
import { parseSlo } from './slo.js';

test('SLO bounds parse from kitt names and from vLLM/AIPerf spellings', () => {
  assert.deepEqual(parseSlo('ttftMs=500,tpotMs=50'), { ttftMs: 500, tpotMs: 50 });
  assert.deepEqual(parseSlo('ttft:300 tpot:20 e2el:4000 itl:80'), {
    ttftMs: 300,
    tpotMs: 20,
    e2eMs: 4000,
    itlMaxMs: 80,
  });
  assert.deepEqual(parseSlo('e2eFromScheduleMs=1200ms'), { e2eFromScheduleMs: 1200 });
});

test('an unknown or non-positive SLO is a one-line usage error naming the valid metrics', () => {
  for (const text of ['latency=5', 'ttftMs=0', 'ttftMs=abc']) {
    assert.throws(
      () => parseSlo(text),
      (error: unknown) => error instanceof KittError && error.code === 'USAGE' && /ttftMs/.test(error.hint ?? ''),
      text,
    );
  }
});
