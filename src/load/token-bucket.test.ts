import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KittError } from '../core/errors.js';
import { seededRandom as seeded } from '../testing/exact-statistics.js';
import { ManualClock } from '../testing/manual-clock.js';
import { acquire, RequestTokenLimiter, type Reservation, TokenBucket } from './token-bucket.js';

/**
 * Exact, slow reference check: for every window [a, b] whose ends are release times, the cost
 * released inside is at most burst + rate * (b - a). Windows whose ends are not release times only
 * contain less, so checking these pairs covers every window.
 */
function worstExcess(releases: Array<{ atMs: number; cost: number }>, ratePerS: number, burst: number): number {
  const sorted = [...releases].sort((x, y) => x.atMs - y.atMs);
  let worst = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < sorted.length; i += 1) {
    let sum = 0;
    for (let j = i; j < sorted.length; j += 1) {
      sum += sorted[j]!.cost;
      const allowed = burst + (ratePerS * (sorted[j]!.atMs - sorted[i]!.atMs)) / 1000;
      worst = Math.max(worst, sum - allowed);
    }
  }
  return worst;
}

describe('TokenBucket', () => {
  test('releases one burst at once, then spaces reservations by cost / rate', () => {
    const clock = new ManualClock(1000);
    const bucket = new TokenBucket({ ratePerS: 10, burst: 3, clock });
    const ready = Array.from({ length: 6 }, () => bucket.reserve(1).readyAtMs);
    assert.deepEqual(ready, [1000, 1000, 1000, 1100, 1200, 1300]);
  });

  test('an empty start paces the very first request', () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket({ ratePerS: 4, burst: 1, startFull: false, clock });
    assert.equal(bucket.reserve(1).readyAtMs, 250);
    assert.equal(bucket.tryTake(1), false);
  });

  test('tryTake succeeds only while the level covers the cost and never creates debt', () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket({ ratePerS: 2, burst: 2, clock });
    assert.equal(bucket.tryTake(2), true);
    assert.equal(bucket.tryTake(1), false);
    assert.equal(bucket.available(), 0);
    clock.advance(499);
    assert.equal(bucket.tryTake(1), false);
    clock.advance(1);
    assert.equal(bucket.tryTake(1), true);
    assert.equal(bucket.tryTake(5), false, 'a cost above burst can never be taken without debt');
  });

  test('a long idle period never banks more than one burst', () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket({ ratePerS: 100, burst: 5, clock });
    clock.advance(3_600_000);
    assert.equal(bucket.available(), 5);
    const ready = Array.from({ length: 7 }, () => bucket.reserve(1).readyAtMs - clock.nowMs());
    assert.deepEqual(ready, [0, 0, 0, 0, 0, 10, 20]);
  });

  test('settling below the estimate refunds the difference and brings the next reservation forward', () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket({ ratePerS: 100, burst: 100, clock });
    const first = bucket.reserve(100);
    assert.equal(first.readyAtMs, 0);
    assert.equal(bucket.reserve(100).readyAtMs, 1000);
    const clockBefore = new ManualClock(0);
    const twin = new TokenBucket({ ratePerS: 100, burst: 100, clock: clockBefore });
    const a = twin.reserve(100);
    twin.settle(a.reservation, 40);
    assert.equal(twin.reserve(100).readyAtMs, 400, '60 refunded tokens save 600 ms at 100 tokens/s');
    assert.equal(a.reservation.cost, 40);
  });

  test('settling above the estimate charges the difference as debt', () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket({ ratePerS: 50, burst: 10, clock });
    const { reservation } = bucket.reserve(10);
    bucket.settle(reservation, 35);
    assert.equal(bucket.available(), -25);
    assert.equal(bucket.reserve(5).readyAtMs, 600, '25 debt + 5 cost at 50/s = 600 ms');
  });

  test('refunds never lift the level above burst', () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket({ ratePerS: 10, burst: 10, clock });
    const { reservation } = bucket.reserve(8);
    clock.advance(10_000);
    bucket.settle(reservation, 0);
    assert.equal(bucket.available(), 10);
  });

  test('settle is idempotent', () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket({ ratePerS: 10, burst: 10, clock });
    const { reservation } = bucket.reserve(10);
    bucket.settle(reservation, 4);
    bucket.settle(reservation, 4);
    assert.equal(bucket.available(), 6);
  });

  test('rejects a rate or burst that is not positive with a hint', () => {
    for (const ratePerS of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(
        () => new TokenBucket({ ratePerS }),
        (error: unknown) => error instanceof KittError && error.code === 'USAGE' && error.hint !== undefined,
      );
    }
    assert.throws(() => new TokenBucket({ ratePerS: 1, burst: 0 }), KittError);
  });

  test('never releases more than burst + rate * T in any window (random costs, arrivals and rates)', () => {
    for (let seed = 1; seed <= 40; seed += 1) {
      const random = seeded(seed);
      const ratePerS = 1 + random() * 200;
      const burst = 1 + random() * 50;
      const clock = new ManualClock(random() * 1000);
      const bucket = new TokenBucket({ ratePerS, burst, clock, startFull: random() < 0.5 });
      const releases: Array<{ atMs: number; cost: number }> = [];
      for (let i = 0; i < 150; i += 1) {
        clock.advance(random() < 0.3 ? random() * 2000 : random() * 5);
        const cost = random() < 0.2 ? burst * 1.5 * random() : random() * 3;
        if (random() < 0.3) {
          if (bucket.tryTake(cost)) releases.push({ atMs: clock.nowMs(), cost });
        } else {
          releases.push({ atMs: bucket.reserve(cost).readyAtMs, cost });
        }
      }
      // A single reservation larger than burst is released alone; the bound then holds for its own cost.
      const largest = Math.max(0, ...releases.map((r) => r.cost - burst));
      assert.ok(worstExcess(releases, ratePerS, burst) <= largest + 1e-6, `seed ${seed}`);
    }
  });

  test('with refunds settled at release time, actual cost in any window stays within burst + rate * T', () => {
    for (let seed = 100; seed < 140; seed += 1) {
      const random = seeded(seed);
      const ratePerS = 10 + random() * 500;
      const burst = 5 + random() * 100;
      const clock = new ManualClock(0);
      const bucket = new TokenBucket({ ratePerS, burst, clock });
      const pending: Array<{ atMs: number; actual: number; reservation: Reservation }> = [];
      const releases: Array<{ atMs: number; cost: number }> = [];
      const settleUntil = (untilMs: number) => {
        pending.sort((x, y) => x.atMs - y.atMs);
        while (pending.length > 0 && pending[0]!.atMs <= untilMs) {
          const done = pending.shift()!;
          clock.set(Math.max(clock.nowMs(), done.atMs));
          bucket.settle(done.reservation, done.actual);
          releases.push({ atMs: done.atMs, cost: done.actual });
        }
      };
      for (let i = 0; i < 200; i += 1) {
        const nextMs = clock.nowMs() + random() * 50;
        settleUntil(nextMs);
        clock.set(nextMs);
        const estimate = Math.min(burst, 1 + random() * 20);
        const actual = estimate * random();
        const { readyAtMs, reservation } = bucket.reserve(estimate);
        pending.push({ atMs: readyAtMs, actual, reservation: reservation as Reservation });
      }
      settleUntil(Number.POSITIVE_INFINITY);
      const excess = worstExcess(releases, ratePerS, burst);
      assert.ok(excess <= 1e-6, `seed ${seed}: excess ${excess}`);
    }
  });

  test('over a long run with actual costs above and below the estimate, throughput converges to the rate', () => {
    const random = seeded(7);
    const clock = new ManualClock(0);
    const ratePerS = 200;
    const bucket = new TokenBucket({ ratePerS, burst: 50, clock });
    let actualTotal = 0;
    let lastReady = 0;
    for (let i = 0; i < 2000; i += 1) {
      const estimate = 20;
      const actual = 5 + random() * 30; // mean 20, sometimes above the estimate
      const { readyAtMs, reservation } = bucket.reserve(estimate);
      clock.set(Math.max(clock.nowMs(), readyAtMs));
      bucket.settle(reservation, actual);
      actualTotal += actual;
      lastReady = readyAtMs;
    }
    const achieved = actualTotal / (lastReady / 1000);
    assert.ok(Math.abs(achieved - ratePerS) / ratePerS < 0.02, `achieved ${achieved.toFixed(1)} tokens/s`);
  });
});

describe('RequestTokenLimiter', () => {
  test('waits for whichever of the request and token buckets is later', () => {
    const clock = new ManualClock(0);
    const limiter = new RequestTokenLimiter({
      requestsPerS: 10,
      burstRequests: 1,
      tokensPerS: 100,
      burstTokens: 100,
      clock,
    });
    assert.equal(limiter.reserve(100).readyAtMs, 0);
    assert.equal(limiter.reserve(10).readyAtMs, 100, 'tokens ready at 100 ms, request at 100 ms');
    assert.equal(limiter.reserve(50).readyAtMs, 600, 'token debt 60 + 50 over 100/s');
  });

  test('settle corrects only the token bucket', () => {
    const clock = new ManualClock(0);
    const limiter = new RequestTokenLimiter({
      requestsPerS: 1,
      burstRequests: 5,
      tokensPerS: 10,
      burstTokens: 10,
      clock,
    });
    const { reservation } = limiter.reserve(10);
    limiter.settle(reservation, 2);
    assert.equal(limiter.tokens!.available(), 8);
    assert.equal(limiter.requests!.available(), 4);
  });

  test('tryTake takes from both buckets or from neither', () => {
    const clock = new ManualClock(0);
    const limiter = new RequestTokenLimiter({
      requestsPerS: 1,
      burstRequests: 2,
      tokensPerS: 10,
      burstTokens: 10,
      clock,
    });
    assert.equal(limiter.tryTake(20), false);
    assert.equal(limiter.requests!.available(), 2);
    assert.equal(limiter.tryTake(6), true);
    assert.equal(limiter.requests!.available(), 1);
    assert.equal(limiter.tokens!.available(), 4);
  });

  test('requires at least one rate', () => {
    assert.throws(() => new RequestTokenLimiter({}), KittError);
  });
});

describe('acquire', () => {
  test('sleeps until the absolute ready time, re-sleeping when woken early', async () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket({ ratePerS: 10, burst: 1, clock });
    bucket.reserve(1);
    const sleeps: number[] = [];
    const sleep = async (ms: number) => {
      sleeps.push(ms);
      clock.advance(ms / 2); // a timer that fires early
    };
    await acquire(bucket, 1, { clock, sleep });
    assert.equal(clock.nowMs() >= 100, true);
    assert.deepEqual(sleeps.slice(0, 2), [100, 50]);
  });

  test('returns at once when the bucket has room', async () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket({ ratePerS: 10, burst: 1, clock });
    let slept = false;
    const sleep = async () => {
      slept = true;
    };
    await acquire(bucket, 1, { clock, sleep });
    assert.equal(slept, false);
  });

  test('gives the reservation back when aborted while waiting', async () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket({ ratePerS: 10, burst: 1, clock });
    bucket.reserve(1);
    const controller = new AbortController();
    const sleep = async () => {
      controller.abort(new Error('stop'));
      throw new Error('stop');
    };
    await assert.rejects(acquire(bucket, 5, { clock, sleep, signal: controller.signal }), /stop/);
    assert.equal(bucket.available(), 0, 'the aborted reservation is refunded whole');
  });

  test('paces a real timer to the rate', async () => {
    const bucket = new TokenBucket({ ratePerS: 200, burst: 1 });
    const start = performance.now();
    for (let i = 0; i < 11; i += 1) await acquire(bucket, 1);
    const elapsedMs = performance.now() - start;
    assert.ok(elapsedMs >= 49, `10 intervals of 5 ms took ${elapsedMs.toFixed(1)} ms`);
  });
});

describe('AllBuckets', () => {
  test('a reservation waits for the later bucket and is settled in each', async () => {
    const { AllBuckets } = await import('./token-bucket.js');
    const clock = new ManualClock(0);
    const global = new TokenBucket({ ratePerS: 1000, burst: 100, startFull: false, clock });
    const own = new TokenBucket({ ratePerS: 100, burst: 100, startFull: false, clock });
    const both = new AllBuckets([global, own]);
    const { readyAtMs, reservation } = both.reserve(50);
    assert.equal(readyAtMs, 500, 'the agent budget (100/s) is later than the global one (1000/s)');
    clock.set(500);
    both.settle(reservation, 20);
    // 30 refunded to each, capped at burst: the global bucket is full, the agent's holds 30
    assert.equal(global.available(), 100);
    assert.equal(own.available(), 30);
  });

  test('tryTake takes from every bucket or from none', async () => {
    const { AllBuckets } = await import('./token-bucket.js');
    const clock = new ManualClock(0);
    const rich = new TokenBucket({ ratePerS: 10, burst: 100, clock });
    const poor = new TokenBucket({ ratePerS: 10, burst: 5, clock });
    const both = new AllBuckets([rich, poor]);
    assert.equal(both.tryTake(10), false);
    assert.equal(rich.available(), 100, 'the refused take left the other bucket as it was');
    assert.equal(both.tryTake(5), true);
    assert.deepEqual([rich.available(), poor.available()], [95, 0]);
  });
});
