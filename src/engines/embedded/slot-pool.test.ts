import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SlotPool } from './slot-pool.js';

test('requests beyond the slots wait and are served in arrival order', async () => {
  const pool = new SlotPool(['a', 'b']);
  const first = await pool.acquire();
  const second = await pool.acquire();
  assert.equal(pool.processing, 2);
  const served: string[] = [];
  const third = pool.acquire().then((lease) => served.push(`third:${lease.slot}`));
  const fourth = pool.acquire().then((lease) => served.push(`fourth:${lease.slot}`));
  assert.equal(pool.deferred, 2);
  second.release();
  await third;
  first.release();
  await fourth;
  assert.deepEqual(served, ['third:b', 'fourth:a']);
  assert.equal(pool.deferred, 0);
  assert.equal(pool.processing, 2);
});

test('a cancelled waiter leaves the queue without taking a slot', async () => {
  const pool = new SlotPool([1]);
  const held = await pool.acquire();
  const controller = new AbortController();
  const waiting = pool.acquire(controller.signal);
  assert.equal(pool.deferred, 1);
  controller.abort(new Error('gone'));
  await assert.rejects(waiting, /gone/);
  assert.equal(pool.deferred, 0);
  held.release();
  assert.equal(pool.processing, 0);
  const again = await pool.acquire();
  assert.equal(again.slot, 1);
});

test('releasing twice frees the slot once', async () => {
  const pool = new SlotPool([1]);
  const lease = await pool.acquire();
  lease.release();
  lease.release();
  assert.equal(pool.processing, 0);
  await pool.acquire();
  assert.equal(pool.processing, 1);
  const controller = new AbortController();
  controller.abort(new Error('already'));
  await assert.rejects(pool.acquire(controller.signal), /already/);
});
