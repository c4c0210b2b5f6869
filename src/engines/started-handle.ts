import type { ExitInfo } from '../runtime/container-runtime.js';

/** A started container, host process or kitt child, as the one engine lifecycle needs it. */
export interface StartedHandle {
  /** Container id or pid. */
  readonly id: string;
  /** Resolves when it ends (undefined when that could not be observed). */
  readonly waited: Promise<ExitInfo | undefined>;
  logsTail(lines: number): Promise<string>;
  /** Stops it (SIGTERM, then SIGKILL after graceMs) and removes what is left. Safe to call twice. */
  stopAndRemove(graceMs?: number): Promise<ExitInfo | undefined>;
  /** For a child that picks its own port: resolves with it once listening, undefined if it ended first. */
  readonly listeningPort?: Promise<number | undefined>;
  /** The error the child reported about itself (a taken port, a bad flag), which explains a failed start best. */
  reportedError?(): Error | undefined;
}
