import type { TokenArrival } from '../metrics/request-record.js';

const CONTENT = 0;
const REASONING = 1;
const FIRST_CAPACITY = 64;

/**
 * A stream's token arrivals as they are stamped, in typed arrays rather than an object a chunk:
 * a request in flight holds three buffers, not one heap object per token that lives as long as the
 * stream and is promoted to the old generation on the way, where its collection pauses the loop
 * that stamps every other stream. The record gets plain TokenArrival objects once, at the end.
 */
export class ArrivalLog {
  private atMs = new Float64Array(FIRST_CAPACITY);
  private tokenCounts = new Int32Array(FIRST_CAPACITY);
  private channels = new Uint8Array(FIRST_CAPACITY);
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(atMs: number, tokens: number, channel: TokenArrival['channel']): void {
    if (this.count === this.atMs.length) this.grow();
    this.atMs[this.count] = atMs;
    this.tokenCounts[this.count] = tokens;
    this.channels[this.count] = channel === 'content' ? CONTENT : REASONING;
    this.count++;
  }

  /** Σ tokens over the arrivals. */
  tokens(): number {
    let sum = 0;
    for (let i = 0; i < this.count; i++) sum += this.tokenCounts[i]!;
    return sum;
  }

  /** Sets the last arrival's token count (a non-streamed body: one arrival carries the whole answer). */
  setLastTokens(tokens: number): void {
    if (this.count > 0) this.tokenCounts[this.count - 1] = tokens;
  }

  toArrivals(): TokenArrival[] {
    const arrivals = new Array<TokenArrival>(this.count);
    for (let i = 0; i < this.count; i++) {
      arrivals[i] = {
        atMs: this.atMs[i]!,
        tokens: this.tokenCounts[i]!,
        channel: this.channels[i] === CONTENT ? 'content' : 'reasoning',
      };
    }
    return arrivals;
  }

  private grow(): void {
    const size = this.atMs.length * 2;
    const atMs = new Float64Array(size);
    atMs.set(this.atMs);
    const tokenCounts = new Int32Array(size);
    tokenCounts.set(this.tokenCounts);
    const channels = new Uint8Array(size);
    channels.set(this.channels);
    this.atMs = atMs;
    this.tokenCounts = tokenCounts;
    this.channels = channels;
  }
}
