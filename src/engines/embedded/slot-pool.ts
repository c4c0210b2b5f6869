/** A slot held by one request; release it exactly once (a second release does nothing). */
export interface SlotLease<T> {
  readonly slot: T;
  release(): void;
}

interface Waiter<T> {
  grant(lease: SlotLease<T>): void;
}

/**
 * Parallel request slots, as llama-server has them: N requests run at once, later ones wait in
 * arrival order and count as deferred (llama.cpp's `requests_deferred`) until a slot frees. A
 * waiter whose request is cancelled leaves the queue without taking a slot.
 */
export class SlotPool<T> {
  private readonly free: T[];
  private readonly waiters: Waiter<T>[] = [];
  private busy = 0;

  constructor(slots: readonly T[]) {
    this.free = [...slots];
  }

  /** Requests holding a slot now. */
  get processing(): number {
    return this.busy;
  }

  /** Requests waiting for a slot now. */
  get deferred(): number {
    return this.waiters.length;
  }

  /** A free slot at once, or the next one to free up, in arrival order; rejects when `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<SlotLease<T>> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const slot = this.free.shift();
    if (slot !== undefined) {
      this.busy += 1;
      return Promise.resolve(this.lease(slot));
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(signal?.reason);
      };
      const waiter: Waiter<T> = {
        grant: (lease) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(lease);
        },
      };
      this.waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private lease(slot: T): SlotLease<T> {
    let released = false;
    return {
      slot,
      release: () => {
        if (released) return;
        released = true;
        const next = this.waiters.shift();
        if (next) {
          next.grant(this.lease(slot));
        } else {
          this.busy -= 1;
          this.free.push(slot);
        }
      },
    };
  }
}
