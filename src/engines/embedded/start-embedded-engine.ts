import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { request as httpRequest } from 'undici';
import { availableCpus } from '../../core/available-cpus.js';
import { type ErrorCode, EXIT_CODES, KittError } from '../../core/errors.js';
import type { Progress } from '../../core/progress.js';
import { validateGguf } from '../../models/validate-gguf.js';
import type { EngineExit, EngineRequest, RunningEngine, StoppedEngine } from '../engine.js';
import { describeExit, forHttp, waitUntilReady } from '../readiness.js';
import { defaultEmbeddedThreads, formatServerArgs } from './server-options.js';

export interface EmbeddedEngineDeps {
  readonly progress: Progress;
  readonly signal?: AbortSignal | undefined;
  /** How long loading may take before ENGINE_NOT_READY; default 120 s. */
  readonly readinessTimeoutMs?: number;
  /** Between SIGTERM and SIGKILL when stopping; default 5 s. */
  readonly graceMs?: number;
}

const DEFAULT_READINESS_TIMEOUT_MS = 120_000;
const DEFAULT_GRACE_MS = 5_000;
const LOG_LINES_KEPT = 500;

/** The child runs the module beside this one, in whatever form this one runs (.ts under tsx, .js built). */
function serverEntry(): string {
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

/**
 * The threads the engine gets: as asked; else a CPU budget, when one is given, all to the engine
 * (at most 4); else the default, which leaves a CPU to kitt.
 */
function threadsFor(request: EngineRequest): number {
  if (request.threads !== undefined) return request.threads;
  const cpus = availableCpus();
  if (request.limits.cpus === undefined) return defaultEmbeddedThreads(cpus);
  return Math.max(1, Math.min(4, Math.floor(Math.min(cpus, request.limits.cpus))));
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
  readonly exited: Promise<EngineExit>;
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
  reportedError(port: number | undefined): KittError | undefined {
    const event = this.errorEvent;
    if (!event) return undefined;
    if (event.code === 'PORT_IN_USE') {
      return new KittError('PORT_IN_USE', `port ${port ?? event.port} is in use`, {
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

/** Signals the child's whole group (it leads one, being detached), or the child when the group is gone. */
function signalGroup(child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    child.kill(signal);
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves with how it ended. */
async function terminate(server: ServerProcess, graceMs: number): Promise<EngineExit> {
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

async function servedModelName(baseUrl: string, fallback: string): Promise<string> {
  try {
    const response = await httpRequest(`${baseUrl}/v1/models`, { headersTimeout: 5_000, bodyTimeout: 5_000 });
    const body = (await response.body.json()) as { data?: Array<{ id?: unknown }> };
    const id = body.data?.[0]?.id;
    return typeof id === 'string' ? id : fallback;
  } catch {
    return fallback;
  }
}

/**
 * Starts kitt's embedded engine (llama.cpp through node-llama-cpp) as a child process serving the
 * OpenAI API on 127.0.0.1, and returns once /health answers 200. The child ends with its parent,
 * even when the parent is SIGKILLed. Fails with MODEL_NOT_FOUND / MODEL_NOT_GGUF before spawning,
 * PORT_IN_USE when the asked port is taken, ENGINE_EXITED (with log lines) when it dies while
 * loading, and ENGINE_NOT_READY when loading outlasts the budget; the child is gone in every case.
 */
export async function startEmbeddedEngine(request: EngineRequest, deps: EmbeddedEngineDeps): Promise<RunningEngine> {
  const { progress, signal } = deps;
  const graceMs = deps.graceMs ?? DEFAULT_GRACE_MS;
  await validateGguf(request.modelPath);
  signal?.throwIfAborted();
  const threads = threadsFor(request);
  const args = [
    ...formatServerArgs({
      modelPath: request.modelPath,
      port: request.port ?? 0,
      parallel: request.parallel ?? 1,
      threads,
    }),
    ...request.engineArgs,
  ];
  progress.phase('starting embedded engine');
  const server = new ServerProcess(
    spawn(process.execPath, [...childExecArgv(process.execArgv), serverEntry(), ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: process.env,
      // its own process group: a terminal's Ctrl-C reaches only kitt, which stops the child itself
      detached: true,
    }),
  );
  try {
    const listening = await Promise.race([server.listening, server.exited.then(() => undefined)]);
    if (!listening?.port) {
      await server.exited;
      throw (
        server.reportedError(request.port) ??
        new KittError(
          'ENGINE_EXITED',
          `the embedded engine exited before it listened (${describeExit(await server.exited)})`,
          {
            hint: 'read its log lines',
            details: { logTail: server.tail(20) },
          },
        )
      );
    }
    const baseUrl = `http://127.0.0.1:${listening.port}`;
    await waitUntilReady(forHttp(`${baseUrl}/health`, { bodyMatch: /"status":\s*"ok"/ }), {
      timeoutMs: deps.readinessTimeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS,
      exited: server.exited,
      logTail: async (lines) => server.tail(lines),
      signal,
      engine: 'the embedded engine',
    }).catch((error: unknown) => {
      throw server.reportedError(request.port) ?? error;
    });
    const servedModel = await servedModelName(baseUrl, request.modelPath);
    progress.end(`ready at ${baseUrl} (${threads} threads, ${request.parallel ?? 1} slots)`);
    return runningEngine(request, server, baseUrl, servedModel, graceMs);
  } catch (error) {
    progress.end('failed');
    await terminate(server, graceMs);
    throw error;
  }
}

function runningEngine(
  request: EngineRequest,
  server: ServerProcess,
  baseUrl: string,
  servedModel: string,
  graceMs: number,
): RunningEngine {
  let stopping: Promise<StoppedEngine> | undefined;
  const exited = new Promise<EngineExit>((resolve) => {
    void server.exited.then((exit) => {
      if (!stopping) resolve(exit);
    });
  });
  const stop = (): Promise<StoppedEngine> => {
    stopping ??= terminate(server, graceMs).then((exit) => ({ name: 'embedded', exit }));
    return stopping;
  };
  return {
    name: 'embedded',
    mode: 'embedded',
    api: 'openai',
    baseUrl,
    servedModel,
    handle: String(server.child.pid),
    limits: request.limits,
    exited,
    logTail: async (lines = 20) => server.tail(lines),
    stop,
    [Symbol.asyncDispose]: async () => {
      await stop();
    },
  };
}
