import { monotonicClock } from '../core/clock.js';
import type { LoadProgressEvent, Progress } from '../core/progress.js';
import { LoadProgressView, lineWidth } from './load-progress-view.js';

/** Off a TTY, a running stage writes a line this often. */
const PLAIN_EVERY_MS = 5000;
/** On a TTY, the live line is redrawn at least this often (elapsed and ETA move without requests). */
const LIVE_TICK_MS = 1000;

/**
 * A live line on a TTY (redrawn at most 10 times a second), plain timestamped lines otherwise,
 * so logs in CI and files stay readable.
 */
export function createTerminalProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
  _options: { debug: boolean },
): Progress {
  return stream.isTTY ? new LiveProgress(stream) : new PlainProgress(stream);
}

/** A timer that keeps writing while a stage runs and never holds the process open. */
function every(ms: number, tick: () => void): NodeJS.Timeout {
  const timer = setInterval(tick, ms);
  timer.unref();
  return timer;
}

class PlainProgress implements Progress {
  private current = '';
  private lastLogged = 0;
  private readonly view = new LoadProgressView();
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly stream: NodeJS.WritableStream) {}
  load(event: LoadProgressEvent): void {
    this.view.apply(event);
    const now = monotonicClock.nowMs();
    if (event.kind === 'stage-start') {
      const parts = [
        event.requests === null ? '' : `${event.requests} requests`,
        event.durationS === null ? '' : `${event.durationS.toFixed(0)} s`,
      ].filter(Boolean);
      this.stream.write(`[kitt] ${this.view.title()}${parts.length ? ` (${parts.join(', ')})` : ''}\n`);
      clearInterval(this.timer);
      this.timer = every(PLAIN_EVERY_MS, () =>
        this.stream.write(`[kitt] ${this.view.plainLine(monotonicClock.nowMs())}\n`),
      );
    } else if (event.kind === 'stage-end') {
      clearInterval(this.timer);
      this.stream.write(`[kitt] ${this.view.stageEndLine(now)}\n`);
      this.view.close();
    }
  }
  phase(name: string, total?: number): void {
    this.current = name;
    this.lastLogged = 0;
    this.stream.write(`[kitt] ${name}${total === undefined ? '' : ` (${total})`}\n`);
  }
  update(done: number, detail?: string): void {
    const now = Date.now();
    if (now - this.lastLogged < 5000) return;
    this.lastLogged = now;
    this.stream.write(`[kitt] ${this.current}: ${done}${detail ? ` ${detail}` : ''}\n`);
  }
  info(message: string): void {
    this.stream.write(`[kitt] ${message}\n`);
  }
  warn(message: string): void {
    this.stream.write(`[kitt] warning: ${message}\n`);
  }
  end(detail?: string): void {
    if (detail) this.stream.write(`[kitt] ${this.current}: ${detail}\n`);
  }
}

class LiveProgress implements Progress {
  private name = '';
  private total: number | undefined;
  private lastDraw = 0;
  private startedAt = Date.now();
  private readonly view = new LoadProgressView();
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly stream: NodeJS.WritableStream & { columns?: number }) {}
  load(event: LoadProgressEvent): void {
    this.view.apply(event);
    const now = monotonicClock.nowMs();
    if (event.kind === 'stage-start') {
      clearInterval(this.timer);
      this.timer = every(LIVE_TICK_MS, () => this.drawLine(this.view.liveLine(monotonicClock.nowMs())));
      this.drawLine(this.view.liveLine(now));
    } else if (event.kind === 'request-done') {
      if (now - this.lastDraw < 100) return;
      this.lastDraw = now;
      this.drawLine(this.view.liveLine(now));
    } else {
      clearInterval(this.timer);
      this.clear();
      this.stream.write(`✓ ${this.view.stageEndLine(now)}\n`);
      this.view.close();
    }
  }
  phase(name: string, total?: number): void {
    this.clear();
    this.name = name;
    this.total = total;
    this.startedAt = Date.now();
    this.draw(0);
  }
  update(done: number, detail?: string): void {
    const now = Date.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.draw(done, detail);
  }
  info(message: string): void {
    this.clear();
    this.stream.write(`${message}\n`);
  }
  warn(message: string): void {
    this.clear();
    this.stream.write(`warning: ${message}\n`);
  }
  end(detail?: string): void {
    this.clear();
    const seconds = ((Date.now() - this.startedAt) / 1000).toFixed(1);
    this.stream.write(`✓ ${this.name}${detail ? `: ${detail}` : ''} (${seconds}s)\n`);
  }
  private draw(done: number, detail?: string): void {
    const width = 24;
    let bar = '';
    if (this.total && this.total > 0) {
      const filled = Math.min(width, Math.round((done / this.total) * width));
      bar = ` [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${this.total}`;
    } else if (done > 0) {
      bar = ` ${done}`;
    }
    this.drawLine(`${this.name}${bar}${detail ? ` ${detail}` : ''}`);
  }
  /** Redraws the line, cut one short of the width so the cursor never wraps. */
  private drawLine(text: string): void {
    const line = `… ${text}`;
    this.stream.write(`\r\x1b[K${line.slice(0, lineWidth(this.stream.columns) - 1)}`);
  }
  private clear(): void {
    this.stream.write('\r\x1b[K');
  }
}
