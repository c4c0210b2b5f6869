import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KittError } from '../core/errors.js';
import { parseSharedPrefix } from './prompt-spec.js';

test('--shared-prefix reads TOKENSxGROUPS, one group when the count is left out', () => {
  assert.deepEqual(parseSharedPrefix('512x4'), { tokens: 512, groups: 4 });
  assert.deepEqual(parseSharedPrefix('64'), { tokens: 64, groups: 1 });
});

test('a malformed --shared-prefix is one usage error with an example', () => {
  for (const text of ['512*4', '0x4', '512x0', 'x4', '']) {
    assert.throws(
      () => parseSharedPrefix(text),
      (error: unknown) => error instanceof KittError && error.code === 'USAGE' && /512x4/.test(error.hint ?? ''),
      text,
    );
  }
});
