import { exitCodeOf, interruptionBy } from '../core/errors.js';
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
  /** Aborted on the second: cleanup stops waiting where it can, but engines are still removed. */
  readonly force: AbortSignal;
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
  const force = new AbortController();
  const onSignal = (name: NodeJS.Signals) => handleSignal(name, interrupt, force);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  cleanups.push(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });
  return {
    debug: options.debug,
    signal: interrupt.signal,
    force: force.signal,
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

/**
 * kitt owns shutdown, so each signal escalates it. Engines run in process groups of their own, so
 * a terminal's Ctrl-C reaches only kitt, which stops them itself:
 * 1st: stop the load, save what was measured, stop and remove the engine, exit 130 (SIGTERM 143);
 * 2nd: the same without the waits that can be skipped; the engine is still removed, the run recorded;
 * 3rd: exit at once, leaving whatever still runs to `kitt engines prune`.
 */
function handleSignal(name: NodeJS.Signals, interrupt: AbortController, force: AbortController): void {
  if (!interrupt.signal.aborted) {
    process.stderr.write(
      `\n[kitt] ${name}: stopping; saving what was measured, then stopping and removing the engine (Ctrl-C again to force cleanup)\n`,
    );
    interrupt.abort(interruptionBy(name === 'SIGTERM' ? 'SIGTERM' : 'SIGINT'));
    return;
  }
  if (!force.signal.aborted) {
    process.stderr.write(
      `\n[kitt] ${name} again: forcing cleanup, no more waiting; the engine is still removed and the run recorded (a third Ctrl-C exits at once and may leave the engine running: kitt engines prune removes it)\n`,
    );
    force.abort(interrupt.signal.reason);
    return;
  }
  process.stderr.write(`\n[kitt] ${name} a third time: exiting now; kitt engines prune removes engines left running\n`);
  process.exit(exitCodeOf(interrupt.signal.reason));
}
