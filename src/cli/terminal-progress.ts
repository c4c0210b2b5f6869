import type { Progress } from '../core/progress.js';

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

class PlainProgress implements Progress {
  private current = '';
  private lastLogged = 0;
  constructor(private readonly stream: NodeJS.WritableStream) {}
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
  constructor(private readonly stream: NodeJS.WritableStream & { columns?: number }) {}
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
    const line = `… ${this.name}${bar}${detail ? ` ${detail}` : ''}`;
    const columns = this.stream.columns ?? 100;
    this.stream.write(`\r\x1b[K${line.slice(0, columns - 1)}`);
  }
  private clear(): void {
    this.stream.write('\r\x1b[K');
  }
}
