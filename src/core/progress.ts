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
