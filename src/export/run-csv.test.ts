import assert from 'node:assert/strict';
import { test } from 'node:test';
import { streamedRecord } from '../testing/request-records.js';
import { csvCell, requestCsvLines } from './run-csv.js';

test('a cell with a comma, quote or line break is quoted with its quotes doubled', () => {
  assert.equal(csvCell('plain'), 'plain');
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "no"\nagain'), '"say ""no""\nagain"');
  assert.equal(csvCell(null), '');
  assert.equal(csvCell(1 / 3), '0.333');
});

test('requests.csv gives each request its times since the origin and its derived latencies', () => {
  const ok = streamedRecord({
    id: 4,
    sentAtMs: 1010,
    scheduledAtMs: 1000,
    arrivalsAtMs: [1030, 1040, 1050],
    tailMs: 5,
  });
  const failed = { ...ok, id: 5, error: { kind: 'http-status' as const, message: 'HTTP 500, "busy"', status: 500 } };
  const [header, first, second] = [...requestCsvLines([ok, failed], 1000)];
  assert.match(header!, /^id,phase,stage,scheduled_at_ms,sent_at_ms,/);
  // ttft 20, tpot (1050 − 1030) / 2 = 10, e2e 45, queue 10
  assert.equal(first, '4,measure,0,0,10,30,55,10,3,usage,20,10,10,45,10,succeeded,,\n');
  assert.match(second!, /,failed,http-status,"HTTP 500, ""busy"""\n$/);
});
