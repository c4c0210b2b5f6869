/**
 * How long work tells a person how far it has come. Domain code receives a Progress and never
 * writes to the terminal itself; the CLI picks a live bar on a TTY and plain lines otherwise.
 */
export interface Progress {
  /** A new phase begins ("synthesizing model", "warmup", ...); total is in the phase's own units when known. */
  phase(name: string, total?: number): void;
  /** Work done so far in the current phase, with an optional short detail ("42 req, 3 errors"). */
  update(done: number, detail?: string): void;
  /** A line worth keeping in the log (not a progress tick). */
  info(message: string): void;
  warn(message: string): void;
  /** The current phase ended. */
  end(detail?: string): void;
}

export const silentProgress: Progress = {
  phase() {},
  update() {},
  info() {},
  warn() {},
  end() {},
};

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
