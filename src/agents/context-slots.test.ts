import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ContextSlots } from './context-slots.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('at most capacity holders at once, over 40 racing tasks of random length, served in arrival order', async () => {
  const slots = new ContextSlots(3);
  let open = 0;
  let peak = 0;
  const order: number[] = [];
  await Promise.all(
    Array.from({ length: 40 }, async (_, i) => {
      const release = await slots.acquire();
      order.push(i);
      open += 1;
      peak = Math.max(peak, open);
      await sleep(1 + ((i * 7) % 5));
      open -= 1;
      release();
      release(); // idempotent: a second release frees nothing more
    }),
  );
  assert.equal(peak, 3);
  assert.equal(slots.peak, 3);
  assert.equal(slots.inFlight, 0);
  assert.deepEqual(
    order,
    [...order].sort((a, b) => a - b),
    'first come, first served',
  );
});

test('a wait the signal aborts takes no slot and leaves the queue to the others', async () => {
  const slots = new ContextSlots(1);
  const first = await slots.acquire();
  const abort = new AbortController();
  const aborted = slots.acquire(abort.signal);
  const next = slots.acquire();
  abort.abort(new Error('stop'));
  await assert.rejects(aborted, /stop/);
  first();
  const release = await next;
  assert.equal(slots.inFlight, 1);
  release();
  assert.equal(slots.inFlight, 0);
  assert.throws(() => new ContextSlots(0), RangeError);
});
