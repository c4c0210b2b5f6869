import type { LoadProgressEvent } from '../core/progress.js';

type StageStart = Extract<LoadProgressEvent, { kind: 'stage-start' }>;

/** Live rates and the live TTFT p50 look at the last this many milliseconds. */
const RECENT_MS = 10_000;
/** At most this many recent requests are kept for the live median (bounded work per redraw). */
const RECENT_CAP = 4096;

const median = (values: number[]): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(sorted.length / 2) - 1]!;
};

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
const rate = (value: number) => value.toFixed(value < 100 ? 2 : 1);
const ms = (value: number | null) => (value === null ? '–' : `${value.toFixed(value < 100 ? 1 : 0)} ms`);

/**
 * What a person watching a load sees, as pure functions of the load's progress events and the
 * time asked about: the stage, done/total, elapsed and time left, live req/s, TTFT p50 and errors.
 * The terminal decides when to draw; this decides what.
 */
export class LoadProgressView {
  private start: StageStart | null = null;
  private done = 0;
  private failed = 0;
  private inFlight = 0;
  private recent: Array<{ atMs: number; ttftMs: number | null }> = [];
  private stageTtfts: number[] = [];

  get active(): boolean {
    return this.start !== null;
  }

  apply(event: LoadProgressEvent): void {
    if (event.kind === 'stage-start') {
      this.start = event;
      this.done = 0;
      this.failed = 0;
      this.inFlight = 0;
      this.recent = [];
      this.stageTtfts = [];
    } else if (event.kind === 'request-done') {
      this.done++;
      if (event.failed) this.failed++;
      this.inFlight = event.inFlight;
      if (event.ttftMs !== null) this.stageTtfts.push(event.ttftMs);
      this.recent.push({ atMs: event.atMs, ttftMs: event.ttftMs });
      if (this.recent.length > RECENT_CAP) this.recent.splice(0, this.recent.length - RECENT_CAP);
    }
  }

  /** `stage 2/3 constant-rate 4/s`. */
  title(): string {
    const s = this.start;
    return s === null ? '' : `stage ${s.stage + 1}/${s.stages} ${s.label}`;
  }

  /**
   * Seconds left: a time-limited stage's planned duration minus elapsed; a count-limited one's
   * remaining requests at the rate it has finished them so far; null when neither is known.
   */
  leftMs(nowMs: number): number | null {
    const s = this.start;
    if (s === null) return null;
    const elapsedMs = nowMs - s.atMs;
    if (s.durationS !== null) return Math.max(0, s.durationS * 1000 - elapsedMs);
    if (s.requests !== null && this.done > 0) return Math.max(0, ((s.requests - this.done) * elapsedMs) / this.done);
    return null;
  }

  /** Requests finished per second over the last RECENT_MS (or since the stage began, if sooner). */
  liveRequestsPerS(nowMs: number): number {
    const s = this.start;
    if (s === null) return 0;
    const since = Math.max(s.atMs, nowMs - RECENT_MS);
    const spanMs = nowMs - since;
    const count = this.recent.filter((r) => r.atMs > since).length;
    return spanMs > 0 ? (count / spanMs) * 1000 : 0;
  }

  liveTtftP50Ms(nowMs: number): number | null {
    const since = nowMs - RECENT_MS;
    return median(this.recent.flatMap((r) => (r.atMs > since && r.ttftMs !== null ? [r.ttftMs] : [])));
  }

  private doneText(): string {
    const total = this.start?.requests;
    return total === null || total === undefined ? `${this.done}` : `${this.done}/${total}`;
  }

  /** Off a TTY: `stage 2/3 constant-rate 4/s: 120/240 done, 3 in flight, 0 errors, 31 s left`. */
  plainLine(nowMs: number): string {
    const left = this.leftMs(nowMs);
    return (
      `${this.title()}: ${this.doneText()} done, ${this.inFlight} in flight, ${this.failed} errors` +
      (left === null ? '' : `, ${seconds(left)} left`)
    );
  }

  /** On a TTY: bar, elapsed and ETA, live req/s, TTFT p50, in flight and errors. */
  liveLine(nowMs: number): string {
    const s = this.start;
    if (s === null) return '';
    const width = 20;
    const bar =
      s.requests !== null && s.requests > 0
        ? (() => {
            const filled = Math.min(width, Math.round((this.done / s.requests) * width));
            return ` [${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
          })()
        : '';
    const left = this.leftMs(nowMs);
    return (
      `${this.title()}${bar} ${this.doneText()} · ${seconds(nowMs - s.atMs)} elapsed` +
      (left === null ? '' : `, ETA ${seconds(left)}`) +
      ` · ${rate(this.liveRequestsPerS(nowMs))} req/s · TTFT p50 ${ms(this.liveTtftP50Ms(nowMs))}` +
      ` · ${this.inFlight} in flight · ${this.failed} errors`
    );
  }

  /** The finished stage's headline: `stage 1/3 constant-rate 2/s: 16 requests, 2.01 req/s, TTFT p50 9.7 ms, 0 errors (8.0 s)`. */
  stageEndLine(nowMs: number): string {
    const s = this.start;
    if (s === null) return '';
    const elapsedMs = nowMs - s.atMs;
    const perS = elapsedMs > 0 ? (this.done / elapsedMs) * 1000 : 0;
    return (
      `${this.title()}: ${this.done} requests, ${rate(perS)} req/s, TTFT p50 ${ms(median(this.stageTtfts))}, ` +
      `${this.failed} errors (${(elapsedMs / 1000).toFixed(1)} s)`
    );
  }

  /** Ends the stage (after its headline was taken). */
  close(): void {
    this.start = null;
  }
}

/** The width to cut a live line to: a terminal that reports 0 columns (some ptys) has an unknown width. */
export function lineWidth(columns: number | undefined): number {
  return columns !== undefined && columns > 0 ? columns : 80;
}
