import type { Clock } from '../core/clock.js';

/**
 * Waits until the clock reaches a target (an absolute time, never a delay added to the last one).
 *
 * Node timers fire ~1 ms late at best (a delay below 1 ms becomes 1 ms; measured p50 1.1 ms, p99
 * 2.3 ms), so: setTimeout until `spinMs` before the target, then yield with setImmediate until it
 * is reached. setImmediate lets I/O callbacks run between checks, so responses are still stamped
 * on time; the cost is a busy event loop for at most `spinMs` per send, which the pacer adds up
 * (`spinMs` total) so the self-check can tell pacing CPU from work. spinMs = 0 uses timers only
 * (idle CPU, ~1 ms late).
 */
export class Pacer {
  /** Wall time spent spinning so far (ms). */
  spunMs = 0;

  constructor(
    private readonly clock: Clock,
    private readonly spinMs: number,
  ) {}

  until(targetMs: number): Promise<void> {
    const { clock, spinMs } = this;
    const remaining = targetMs - clock.nowMs();
    if (remaining <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      let spinStart = 0;
      const spin = () => {
        const now = clock.nowMs();
        if (spinStart === 0) spinStart = now;
        if (now >= targetMs) {
          this.spunMs += now - spinStart;
          resolve();
        } else setImmediate(spin);
      };
      const sleepMs = spinMs > 0 ? remaining - spinMs : remaining;
      if (sleepMs >= 1) setTimeout(spinMs > 0 ? spin : resolve, Math.floor(sleepMs));
      else if (spinMs > 0) setImmediate(spin);
      else setTimeout(resolve, 0);
    });
  }
}
