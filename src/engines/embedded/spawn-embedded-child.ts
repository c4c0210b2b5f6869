import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type ErrorCode, EXIT_CODES, KittError } from '../../core/errors.js';
import type { ExitInfo } from '../../runtime/container-runtime.js';
import type { NativeCommand } from '../engine-definition.js';
import type { StartedHandle } from '../started-handle.js';

const DEFAULT_GRACE_MS = 5_000;
const LOG_LINES_KEPT = 500;

/** The child runs the module beside this one, in whatever form this one runs (.ts under tsx, .js built). */
export function serverEntry(): string {
  const self = fileURLToPath(import.meta.url);
  return fileURLToPath(new URL(`./server-main${extname(self)}`, import.meta.url));
}

// test-runner and debugger flags of this process must not reach the child
const DROPPED_FLAGS = /^--(test|watch|inspect|experimental-test)/;
const DROPPED_FLAGS_WITH_VALUE = new Set([
  '--test-reporter',
  '--test-reporter-destination',
  '--test-name-pattern',
  '--test-skip-pattern',
  '--test-concurrency',
  '--test-timeout',
  '--test-shard',
  '--inspect-port',
]);

/** This process's node flags that the child needs too (a loader such as `--import tsx`). */
export function childExecArgv(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let index = 0; index < execArgv.length; index += 1) {
    const flag = execArgv[index]!;
    if (DROPPED_FLAGS.test(flag)) {
      if (!flag.includes('=') && DROPPED_FLAGS_WITH_VALUE.has(flag)) index += 1;
      continue;
    }
    kept.push(flag);
  }
  return kept;
}

/** What the child tells its parent on stdout, one JSON object a line. */
interface ChildEvent {
  readonly event: 'listening' | 'ready' | 'error';
  readonly port?: number;
  readonly code?: string;
  readonly message?: string;
}

/** A spawned server process with its log kept and its events and exit observed. */
class ServerProcess {
  readonly log: string[] = [];
  readonly exited: Promise<ExitInfo>;
  readonly listening: Promise<ChildEvent>;
  private errorEvent: ChildEvent | undefined;

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      child.once('close', (exitCode, signal) => {
        const reason = signal ? `killed by ${signal}` : `exited with code ${exitCode}`;
        resolve({ exitCode, signal, oomKilled: false, reason });
      });
      child.once('error', (error) =>
        resolve({ exitCode: null, signal: null, oomKilled: false, reason: error.message }),
      );
    });
    let onListening: (event: ChildEvent) => void = () => undefined;
    this.listening = new Promise((resolve) => {
      onListening = resolve;
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const event = parseEvent(line);
      if (!event) return this.keep(line);
      if (event.event === 'listening') onListening(event);
      if (event.event === 'error') {
        this.errorEvent = event;
        this.keep(`error: ${event.message ?? event.code}`);
      }
    });
    createInterface({ input: child.stderr }).on('line', (line) => this.keep(line));
  }

  private keep(line: string): void {
    this.log.push(line);
    if (this.log.length > LOG_LINES_KEPT) this.log.splice(0, this.log.length - LOG_LINES_KEPT);
  }

  tail(lines: number): string {
    return this.log.slice(-lines).join('\n');
  }

  /** The error the child reported about itself, as the KittError a person should see. */
  reportedError(): KittError | undefined {
    const event = this.errorEvent;
    if (!event) return undefined;
    if (event.code === 'PORT_IN_USE') {
      return new KittError('PORT_IN_USE', `port ${event.port ?? 'asked for'} is in use`, {
        hint: 'pick another with --port or stop what uses it',
      });
    }
    const code = event.code && event.code in EXIT_CODES ? (event.code as ErrorCode) : 'ENGINE_FAILED';
    return new KittError(code, `the embedded engine failed to start: ${event.message ?? 'no reason given'}`, {
      hint: code === 'USAGE' ? 'check the --engine-arg values' : 'read the log lines above, or run with --debug',
    });
  }
}

function parseEvent(line: string): ChildEvent | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(line) as ChildEvent;
    return typeof value.event === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

function signalGroup(child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals): void {
  try {
    // the child leads its own group (detached): the terminal's Ctrl-C does not reach it, kitt's stop does
    process.kill(-child.pid!, signal);
  } catch {
    child.kill(signal);
  }
}

/** SIGTERM to the child's group, then SIGKILL after `graceMs`; resolves with how it ended. */
async function terminate(server: ServerProcess, graceMs: number): Promise<ExitInfo> {
  const { child } = server;
  if (child.exitCode === null && child.signalCode === null) {
    child.stdin.end();
    signalGroup(child, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
    try {
      return await server.exited;
    } finally {
      clearTimeout(timer);
    }
  }
  return server.exited;
}

/**
 * Spawns the embedded engine's child from its planned command line, in its own process group, and
 * hands it to the one engine lifecycle: it listens on loopback at once and says on which port, then
 * loads the model. The child also ends when kitt dies, even by SIGKILL: it watches its stdin.
 */
export function spawnEmbeddedChild(command: NativeCommand, graceMs = DEFAULT_GRACE_MS): StartedHandle {
  const server = new ServerProcess(
    spawn(command.command, [...command.args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...command.env },
      detached: true,
    }),
  );
  let stopped: Promise<ExitInfo> | undefined;
  return {
    id: String(server.child.pid ?? 'unspawned'),
    waited: server.exited,
    logsTail: async (lines) => server.tail(lines),
    stopAndRemove: (grace) => {
      stopped ??= terminate(server, grace ?? graceMs);
      return stopped;
    },
    listeningPort: Promise.race([server.listening, server.exited.then(() => undefined)]).then((event) => event?.port),
    reportedError: () => server.reportedError(),
  };
}
