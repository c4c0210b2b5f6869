import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { failedRecord, streamedRecord } from '../testing/request-records.js';
import { readRequestLog } from './request-log-reader.js';
import { openRequestLog } from './result-dir.js';
import { csvCell, requestCsvLines, writeRunCsv } from './run-csv.js';

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

test('requests.csv read back from requests.jsonl is the same bytes as from the records themselves', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-csv-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const originMs = 12_345.678_9;
  const records = Array.from({ length: 300 }, (_, id) =>
    id % 7 === 3
      ? failedRecord('timeout', {
          id,
          scheduledAtMs: originMs + id,
          sentAtMs: originMs + id + 0.1,
          endAtMs: originMs + id + 90,
        })
      : streamedRecord({
          id,
          sentAtMs: originMs + id * 3.3333,
          scheduledAtMs: originMs + id * 3.3331,
          arrivalsAtMs: [originMs + id * 3.3333 + 20.123_456, originMs + id * 3.3333 + 31.987_654],
          tailMs: 0.7,
        }),
  );
  const log = await openRequestLog(dir, originMs);
  for (const record of records) log.append(record);
  await log.close();
  await writeRunCsv(dir, { records: readRequestLog(join(dir, 'requests.jsonl')), stages: [] });
  assert.equal(readFileSync(join(dir, 'requests.csv'), 'utf8'), [...requestCsvLines(records, originMs)].join(''));
});
