import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArrivalLog } from './arrival-log.js';

test('an arrival log keeps every arrival past its first buffers, in order, with tokens and channel', () => {
  const log = new ArrivalLog();
  for (let i = 0; i < 1000; i++) log.push(i * 10.25, 1 + (i % 3), i % 7 === 0 ? 'reasoning' : 'content');
  assert.equal(log.length, 1000);
  assert.equal(
    log.tokens(),
    Array.from({ length: 1000 }, (_, i) => 1 + (i % 3)).reduce((a, b) => a + b, 0),
  );
  const arrivals = log.toArrivals();
  assert.deepEqual(arrivals[999], { atMs: 999 * 10.25, tokens: 1 + (999 % 3), channel: 'content' });
  assert.deepEqual(arrivals[700], { atMs: 7175, tokens: 1 + (700 % 3), channel: 'reasoning' });
  assert.ok(arrivals.every((a, i) => i === 0 || a.atMs > arrivals[i - 1]!.atMs));
});

test('the last arrival can carry a whole non-streamed answer; an empty log stays empty', () => {
  const log = new ArrivalLog();
  log.setLastTokens(5);
  assert.deepEqual(log.toArrivals(), []);
  log.push(12.5, 1, 'content');
  log.setLastTokens(600);
  assert.deepEqual(log.toArrivals(), [{ atMs: 12.5, tokens: 600, channel: 'content' }]);
  assert.equal(log.tokens(), 600);
});
