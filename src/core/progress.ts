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
  /**
   * Load progress as events (stage start, each finished request, stage end), for views that show
   * live rates and latencies. A Progress without it gets the load as phase/update/end calls.
   */
  load?(event: LoadProgressEvent): void;
}

/** Events of a running load; `atMs` is on the load's monotonic clock. */
export type LoadProgressEvent =
  | {
      readonly kind: 'stage-start';
      readonly atMs: number;
      /** 0-based index and count of stages (a sweep's levels). */
      readonly stage: number;
      readonly stages: number;
      /** e.g. `constant-rate 4/s`, `fixed-concurrency 8 users`. */
      readonly label: string;
      /** Requests the stage sends, all phases; null when the server decides. */
      readonly requests: number | null;
      /** Seconds the stage sends for; null when the server decides. */
      readonly durationS: number | null;
    }
  | {
      readonly kind: 'request-done';
      readonly atMs: number;
      /** null for a request without a first token (failed, dropped, no content). */
      readonly ttftMs: number | null;
      readonly failed: boolean;
      /** Requests still in flight after this one. */
      readonly inFlight: number;
    }
  | { readonly kind: 'stage-end'; readonly atMs: number };

export const silentProgress: Progress = {
  phase() {},
  update() {},
  info() {},
  warn() {},
  end() {},
};
