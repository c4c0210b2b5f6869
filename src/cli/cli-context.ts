import { EXIT_CODES, KittError } from '../core/errors.js';
import type { Progress } from '../core/progress.js';
import { createTerminalProgress } from './terminal-progress.js';

/** What every command receives: its streams, the progress reporter and cleanup hooks. */
export interface CliContext {
  readonly debug: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly progress: Progress;
  /** Aborted on the first SIGINT/SIGTERM: long work stops, keeps what it measured, and cleans up. */
  readonly signal: AbortSignal;
  /** Registers cleanup that must run on exit, SIGINT and SIGTERM (engines, containers, servers). */
  onClose(cleanup: () => Promise<void> | void): void;
  close(): Promise<void>;
}

export function createCliContext(options: { debug: boolean }): CliContext {
  const cleanups: Array<() => Promise<void> | void> = [];
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      for (const cleanup of cleanups.reverse()) {
        try {
          await cleanup();
        } catch (error) {
          process.stderr.write(`warning: cleanup failed: ${(error as Error).message}\n`);
        }
      }
    })();
    return closing;
  };
  const interrupt = new AbortController();
  let signalsSeen = 0;
  const onSignal = (name: NodeJS.Signals) => {
    signalsSeen += 1;
    if (signalsSeen === 1) {
      process.stderr.write(`\n[kitt] ${name}: stopping, saving what was measured and cleaning up (again to force)\n`);
      interrupt.abort(new KittError('INTERRUPTED', `interrupted by ${name}`));
      return;
    }
    // a second signal: clean up what we can, then leave at once
    void close().finally(() => process.exit(EXIT_CODES.INTERRUPTED));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  cleanups.push(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });
  return {
    debug: options.debug,
    signal: interrupt.signal,
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    progress: createTerminalProgress(process.stderr, { debug: options.debug }),
    onClose: (cleanup) => {
      cleanups.push(cleanup);
    },
    close,
  };
}
