import type { Progress } from '../core/progress.js';

/** Records every call; tests read `events` to check what a person would have seen. */
export class RecordingProgress implements Progress {
  readonly events: string[] = [];
  phase(name: string, total?: number): void {
    this.events.push(`phase ${name}${total === undefined ? '' : ` /${total}`}`);
  }
  update(done: number, detail?: string): void {
    this.events.push(`update ${done}${detail ? ` ${detail}` : ''}`);
  }
  info(message: string): void {
    this.events.push(`info ${message}`);
  }
  warn(message: string): void {
    this.events.push(`warn ${message}`);
  }
  end(detail?: string): void {
    this.events.push(`end${detail ? ` ${detail}` : ''}`);
  }
}
