import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KittError } from './errors.js';
import { parseBytes, parseDurationMs, readBytes, readDurationMs } from './units.js';

test('durations: ms, s, m and h with fractions; a bare number in the unit the caller states', () => {
  assert.equal(readDurationMs('500ms'), 500);
  assert.equal(readDurationMs('1s'), 1000);
  assert.equal(readDurationMs('1.5s'), 1500);
  assert.equal(readDurationMs('2m'), 120_000);
  assert.equal(readDurationMs('1h'), 3_600_000);
  assert.equal(readDurationMs(' 30 s '), 30_000);
  assert.equal(readDurationMs('30', 's'), 30_000);
  assert.equal(readDurationMs('30', 'ms'), 30);
  assert.equal(readDurationMs('30'), undefined, 'without a stated unit a bare number is not a duration');
  for (const text of ['', 'soon', '-1s', '1d', '1 hour', 's']) assert.equal(readDurationMs(text, 's'), undefined, text);
  assert.equal(parseDurationMs('1h'), 3_600_000);
  assert.equal(parseDurationMs('90'), 90_000, 'parseDurationMs reads bare numbers as seconds');
  assert.throws(
    () => parseDurationMs('later'),
    (error: unknown) =>
      error instanceof KittError && error.code === 'USAGE' && /500ms, 30s, 2m or 1h/.test(error.hint ?? ''),
  );
});

test('sizes: Docker-style binary multiples, bytes when bare', () => {
  assert.equal(readBytes('512m'), 512 * 1024 ** 2);
  assert.equal(readBytes('4g'), 4 * 1024 ** 3);
  assert.equal(readBytes('1.5GiB'), 1.5 * 1024 ** 3);
  assert.equal(readBytes('2 TB'), 2 * 1024 ** 4);
  assert.equal(readBytes('1048576'), 1_048_576);
  for (const text of ['', 'lots', '4x', '-1g', '1 g b']) assert.equal(readBytes(text), undefined, text);
  assert.throws(() => parseBytes('lots'), /"lots" is not a size/);
});
