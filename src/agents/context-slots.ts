/**
 * At most `capacity` thinks in flight: a FIFO semaphore beside the token bucket. The bucket paces
 * tokens; this bounds the contexts the engine holds at once, so agents never ask a container for
 * more full contexts than fit its memory (compute.maxContexts, docs/agents.md). A think that finds
 * every slot taken waits in arrival order; the wait is measured by the caller like the bucket's.
 */
export class ContextSlots {
  readonly capacity: number;
  #inFlight = 0;
  #peak = 0;
  readonly #waiting: Array<{ grant: () => void }> = [];

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be a whole number ≥ 1, got ${capacity}`);
    this.capacity = capacity;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** The most slots ever held at once. */
  get peak(): number {
    return this.#peak;
  }

  /**
   * Resolves with a release function once a slot is free (at once when one is); rejects with the
   * signal's reason if it aborts first, taking nothing. Release is idempotent.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.#inFlight < this.capacity && this.#waiting.length === 0) return Promise.resolve(this.#take());
    return new Promise((resolve, reject) => {
      const entry = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.#take());
        },
      };
      const onAbort = () => {
        const index = this.#waiting.indexOf(entry);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(entry);
    });
  }

  #take(): () => void {
    this.#inFlight += 1;
    this.#peak = Math.max(this.#peak, this.#inFlight);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inFlight -= 1;
      const next = this.#waiting.shift();
      next?.grant();
    };
  }
}
