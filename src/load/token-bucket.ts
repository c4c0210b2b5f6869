import { type Clock, monotonicClock, sleepMs } from '../core/clock.js';
import { KittError } from '../core/errors.js';

/**
 * Token-bucket pacing for paced clients and the open-loop generator.
 *
 * A bucket holds at most `burst` units and refills at `ratePerS` units per second. Taking `cost`
 * units is allowed when the level covers it. `reserve` never refuses: it queues the cost behind the
 * releases already handed out and answers the absolute time at which the level covers it — the
 * moment the caller may send. This is GCRA in bucket form; it guarantees, for every window of
 * length T, that the cost released in it is at most `burst + ratePerS * T` (a single cost above
 * burst is released alone, once the bucket has been full for `(cost - burst) / ratePerS`).
 *
 *   level(t) = min(burst, level(t0) + ratePerS * (t - t0) / 1000)   (t0: the last release handed out)
 *   reserve(c) at now:  s = max(now, t0);  readyAtMs = s + max(0, c - level(s)) * 1000 / ratePerS
 *
 * The bucket keeps the releases handed out but not yet due, so a refund lands at the present and
 * is capped at burst there, exactly as if the actual cost had been known at release.
 *
 * Token costs are only known after a response: reserve on an estimate, then `settle` with the
 * actual count; the difference is refunded (never above `burst`) or charged as debt that delays
 * the next reservation by `difference / ratePerS` seconds. Settle as soon as the actual count is
 * known: a refund that arrives after the bucket would have filled up still returns in full.
 * Releases keep reservation order (first reserved, first released).
 *
 * Pure: time comes from the injected clock, nothing sleeps here except `acquire`.
 */
export interface TokenBucketOptions {
  /** Refill rate in units per second (requests/s or tokens/s); must be > 0. */
  readonly ratePerS: number;
  /** Largest amount that may be released at once after idling; defaults to one second of rate, at least 1. */
  readonly burst?: number;
  /** Start full (default) or empty. An empty start paces the very first second too. */
  readonly startFull?: boolean;
  readonly clock?: Clock;
}

export interface Reservation {
  /** Units taken by this reservation so far (the estimate, then the actual cost once settled). */
  cost: number;
  /** Absolute time on the bucket's clock when the caller may proceed. */
  readonly readyAtMs: number;
  settled: boolean;
}

/** The operations every pacer offers, whether one bucket or several combined. */
export interface RateLimiter {
  /** Takes `cost` now if the level covers it; never creates debt. */
  tryTake(cost?: number): boolean;
  /** Takes `cost` now (possibly into debt) and says when the caller may proceed. */
  reserve(cost?: number): { readyAtMs: number; reservation: LimiterReservation };
  /** Replaces the reserved estimate by the actual cost: refunds or charges the difference. Idempotent. */
  settle(reservation: LimiterReservation, actualCost: number): void;
}

/** Opaque to callers: a bucket's own reservation, or one per bucket for a combined limiter. */
export type LimiterReservation = Reservation | { readonly parts: readonly Reservation[]; readonly readyAtMs: number };

export class TokenBucket implements RateLimiter {
  readonly ratePerS: number;
  readonly burst: number;
  private readonly clock: Clock;
  /** True level at `lastMs`, after every release up to then. */
  private level: number;
  private lastMs: number;
  /** Releases handed out but not yet due, in release order (FIFO: reservation order). */
  private readonly pending: Reservation[] = [];

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerS > 0) || !Number.isFinite(options.ratePerS)) {
      throw new KittError('USAGE', `token-bucket rate must be a positive number, got ${options.ratePerS}`, {
        hint: 'give a rate above 0, e.g. 5 (per second)',
      });
    }
    const burst = options.burst ?? Math.max(1, options.ratePerS);
    if (!(burst > 0) || !Number.isFinite(burst)) {
      throw new KittError('USAGE', `token-bucket burst must be a positive number, got ${burst}`, {
        hint: 'give a burst of at least 1',
      });
    }
    this.ratePerS = options.ratePerS;
    this.burst = burst;
    this.clock = options.clock ?? monotonicClock;
    this.lastMs = this.clock.nowMs();
    this.level = options.startFull === false ? 0 : burst;
  }

  /** Level now; negative while reservations wait (the debt the queue still has to earn back). */
  available(): number {
    const nowMs = this.advance();
    const tail = this.tail();
    return tail.atMs > nowMs ? tail.level - ((tail.atMs - nowMs) * this.ratePerS) / 1000 : this.level;
  }

  tryTake(cost = 1): boolean {
    assertCost(cost);
    this.advance();
    if (this.pending.length > 0 || this.level < cost) return false; // never jump the queue
    this.level -= cost;
    return true;
  }

  reserve(cost = 1): { readyAtMs: number; reservation: Reservation } {
    assertCost(cost);
    const nowMs = this.advance();
    const tail = this.tail();
    const startMs = Math.max(nowMs, tail.atMs);
    const level = Math.min(this.burst, tail.level + ((startMs - tail.atMs) * this.ratePerS) / 1000);
    const readyAtMs = level >= cost ? startMs : startMs + ((cost - level) * 1000) / this.ratePerS;
    const reservation: Reservation = { cost, readyAtMs, settled: false };
    if (readyAtMs > nowMs) this.pending.push(reservation);
    else this.level -= cost;
    return { readyAtMs, reservation };
  }

  settle(reservation: LimiterReservation, actualCost: number): void {
    if (!('cost' in reservation)) throw new KittError('INTERNAL', 'settle got a reservation from another limiter');
    if (reservation.settled) return;
    assertCost(actualCost);
    this.advance();
    if (!this.pending.includes(reservation)) {
      // Released already: the difference applies now. Refunds never lift the level above burst,
      // so an idle bucket never banks more than one burst.
      this.level = Math.min(this.burst, this.level - (actualCost - reservation.cost));
    }
    // Still waiting (a cancel, or a settle before release): the newest one cancelled is undone
    // exactly; otherwise it keeps its slot with the new cost, and the slots after it stay where
    // they are, which only errs on the slow side.
    if (actualCost === 0 && this.pending.at(-1) === reservation) this.pending.pop();
    reservation.cost = actualCost;
    reservation.settled = true;
  }

  /** Applies every release that has come due and the refill up to now; returns now. */
  private advance(): number {
    const nowMs = Math.max(this.clock.nowMs(), this.lastMs);
    while (this.pending.length > 0 && this.pending[0]!.readyAtMs <= nowMs) {
      const due = this.pending.shift()!;
      this.refillTo(due.readyAtMs);
      this.level -= due.cost;
    }
    this.refillTo(nowMs);
    return nowMs;
  }

  private refillTo(atMs: number): void {
    this.level = Math.min(this.burst, this.level + ((atMs - this.lastMs) * this.ratePerS) / 1000);
    this.lastMs = atMs;
  }

  /** The level right after the last pending release, simulated from the present (exact, O(pending)). */
  private tail(): { atMs: number; level: number } {
    let atMs = this.lastMs;
    let level = this.level;
    for (const release of this.pending) {
      level = Math.min(this.burst, level + ((release.readyAtMs - atMs) * this.ratePerS) / 1000) - release.cost;
      atMs = release.readyAtMs;
    }
    return { atMs, level };
  }
}

function assertCost(cost: number): void {
  if (!(cost >= 0) || !Number.isFinite(cost)) {
    throw new KittError('INTERNAL', `token-bucket cost must be a finite number >= 0, got ${cost}`);
  }
}

/**
 * Paces by requests/s and tokens/s at once: a request waits for whichever bucket is later.
 * `reserve(estimatedTokens)` charges 1 request and the token estimate; `settle` corrects the
 * token bucket only (a request is always exactly one request).
 */
export class RequestTokenLimiter implements RateLimiter {
  readonly requests: TokenBucket | undefined;
  readonly tokens: TokenBucket | undefined;

  constructor(options: PacingOptions) {
    if (options.requestsPerS === undefined && options.tokensPerS === undefined) {
      throw new KittError('USAGE', 'a pacer needs a request rate, a token rate or both', {
        hint: 'set requestsPerS and/or tokensPerS',
      });
    }
    const clock = options.clock ?? monotonicClock;
    const startFull = options.startFull;
    this.requests =
      options.requestsPerS === undefined
        ? undefined
        : new TokenBucket({ ratePerS: options.requestsPerS, burst: options.burstRequests, clock, startFull });
    this.tokens =
      options.tokensPerS === undefined
        ? undefined
        : new TokenBucket({ ratePerS: options.tokensPerS, burst: options.burstTokens, clock, startFull });
  }

  tryTake(estimatedTokens = 0): boolean {
    const requestLevel = this.requests?.available() ?? Number.POSITIVE_INFINITY;
    const tokenLevel = this.tokens?.available() ?? Number.POSITIVE_INFINITY;
    if (requestLevel < 1 || tokenLevel < estimatedTokens) return false;
    this.requests?.tryTake(1);
    this.tokens?.tryTake(estimatedTokens);
    return true;
  }

  reserve(estimatedTokens = 0): { readyAtMs: number; reservation: LimiterReservation } {
    const parts: Reservation[] = [];
    let readyAtMs = Number.NEGATIVE_INFINITY;
    for (const [bucket, cost] of [
      [this.requests, 1],
      [this.tokens, estimatedTokens],
    ] as const) {
      if (!bucket) continue;
      const { reservation } = bucket.reserve(cost);
      parts.push(reservation);
      readyAtMs = Math.max(readyAtMs, reservation.readyAtMs);
    }
    const reservation = { parts, readyAtMs };
    return { readyAtMs, reservation };
  }

  settle(reservation: LimiterReservation, actualTokens: number): void {
    if (!('parts' in reservation)) throw new KittError('INTERNAL', 'settle got a reservation from another limiter');
    const tokenPart = this.tokens ? reservation.parts[reservation.parts.length - 1] : undefined;
    if (tokenPart) this.tokens!.settle(tokenPart, actualTokens);
  }

  /** Gives a reservation back whole (the request was never sent). */
  cancel(reservation: LimiterReservation): void {
    if (!('parts' in reservation)) return;
    const [first, second] = reservation.parts;
    if (this.requests && first) this.requests.settle(first, 0);
    const tokenPart = this.requests ? second : first;
    if (this.tokens && tokenPart) this.tokens.settle(tokenPart, 0);
  }
}

export interface PacingOptions {
  readonly requestsPerS?: number;
  readonly tokensPerS?: number;
  readonly burstRequests?: number;
  readonly burstTokens?: number;
  readonly startFull?: boolean;
  readonly clock?: Clock;
}

/**
 * Reserves `cost` and waits until its absolute ready time (never by summing sleeps, so timer
 * lateness does not accumulate). If the signal aborts while waiting, the reservation is given back
 * (settled at 0) and the abort reason is thrown.
 */
export async function acquire(
  limiter: RateLimiter,
  cost: number,
  options: { signal?: AbortSignal; clock?: Clock; sleep?: (ms: number, signal?: AbortSignal) => Promise<void> } = {},
): Promise<LimiterReservation> {
  const clock = options.clock ?? monotonicClock;
  const sleep = options.sleep ?? sleepMs;
  options.signal?.throwIfAborted();
  const { readyAtMs, reservation } = limiter.reserve(cost);
  try {
    for (let waitMs = readyAtMs - clock.nowMs(); waitMs > 0; waitMs = readyAtMs - clock.nowMs()) {
      await sleep(waitMs, options.signal);
    }
  } catch (error) {
    if (limiter instanceof RequestTokenLimiter) limiter.cancel(reservation);
    else limiter.settle(reservation, 0);
    throw error;
  }
  return reservation;
}

/**
 * Several token buckets as one: a reservation waits for the latest of them and is settled (or
 * given back) in each. `kitt agents` paces a think by the global bucket and its agent's own budget.
 */
export class AllBuckets implements RateLimiter {
  constructor(readonly buckets: readonly TokenBucket[]) {
    if (buckets.length === 0) throw new KittError('INTERNAL', 'AllBuckets needs at least one bucket');
  }

  /** All or nothing: a take one bucket cannot cover leaves every bucket as it was. */
  tryTake(cost = 1): boolean {
    if (!this.buckets.every((bucket) => bucket.available() >= cost)) return false;
    return this.buckets.every((bucket) => bucket.tryTake(cost));
  }

  reserve(cost = 1): { readyAtMs: number; reservation: LimiterReservation } {
    const parts = this.buckets.map((bucket) => bucket.reserve(cost).reservation);
    const readyAtMs = Math.max(...parts.map((part) => part.readyAtMs));
    return { readyAtMs, reservation: { parts, readyAtMs } };
  }

  settle(reservation: LimiterReservation, actualCost: number): void {
    if (!('parts' in reservation) || reservation.parts.length !== this.buckets.length) {
      throw new KittError('INTERNAL', 'settle got a reservation from another limiter');
    }
    for (const [index, bucket] of this.buckets.entries()) bucket.settle(reservation.parts[index]!, actualCost);
  }
}
