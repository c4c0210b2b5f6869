/**
 * Entry of the embedded engine's child process: `node server-main.js --model PATH [--port N] ...`.
 * It listens on loopback first (so the parent learns the port at once and /health says 503 while
 * loading), then loads the model. Stdout carries only one-line JSON events for the parent:
 * `{"event":"listening","port":N}`, `{"event":"ready"}` and `{"event":"error","code":...,"message":...}`;
 * llama.cpp's and the server's own log lines go to stderr.
 *
 * The process ends when the parent closes its stdin (which the kernel does when the parent dies,
 * even by SIGKILL), on SIGTERM/SIGINT, and when the IPC channel (if any) disconnects.
 */
import { availableCpus } from '../../core/available-cpus.js';
import { KittError } from '../../core/errors.js';
import { EmbeddedServer } from './embedded-server.js';
import { LlamaTextModel } from './llama-text-model.js';
import { CHILD_EXIT, defaultEmbeddedThreads, type EmbeddedServerOptions, parseServerArgs } from './server-options.js';

function report(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

let model: LlamaTextModel | undefined;
let server: EmbeddedServer | undefined;
let shuttingDown = false;

/** Stops serving and frees the model; a hard exit follows in case native threads linger. */
function shutdown(why: string, exitCode = 0): void {
  if (shuttingDown) return;
  shuttingDown = true;
  log(`kitt embedded: shutting down (${why})`);
  const hardExit = setTimeout(() => process.exit(exitCode), 2_000);
  hardExit.unref();
  server?.http.close();
  server?.http.closeAllConnections();
  void (model?.dispose() ?? Promise.resolve()).finally(() => process.exit(exitCode));
}

function watchParent(): void {
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('disconnect', () => shutdown('parent disconnected'));
  // the parent holds the other end of stdin: EOF means it closed it or died
  process.stdin.on('end', () => shutdown('parent closed stdin'));
  process.stdin.on('close', () => shutdown('parent closed stdin'));
  process.stdin.on('error', () => shutdown('stdin error'));
  process.stdin.resume();
}

function listen(options: EmbeddedServerOptions, embedded: EmbeddedServer): Promise<number> {
  return new Promise((resolve, reject) => {
    embedded.http.once('error', reject);
    embedded.http.listen(options.port, options.host, () => {
      embedded.http.off('error', reject);
      const address = embedded.http.address();
      resolve(typeof address === 'object' && address ? address.port : options.port);
    });
  });
}

async function main(): Promise<void> {
  watchParent();
  let options: EmbeddedServerOptions;
  try {
    options = parseServerArgs(process.argv.slice(2), defaultEmbeddedThreads(availableCpus()));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    report({ event: 'error', code: error instanceof KittError ? error.code : 'USAGE', message });
    process.exit(CHILD_EXIT.BAD_ARGS);
  }
  server = new EmbeddedServer();
  try {
    const port = await listen(options, server);
    report({ event: 'listening', port, pid: process.pid, threads: options.threads, parallel: options.parallel });
    log(`kitt embedded: listening on http://${options.host}:${port}, loading ${options.modelPath}`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'PORT_IN_USE' : 'ENGINE_FAILED';
    report({ event: 'error', code, message: (error as Error).message, port: options.port });
    process.exit(code === 'PORT_IN_USE' ? CHILD_EXIT.PORT_IN_USE : CHILD_EXIT.LOAD_FAILED);
  }
  try {
    const embedded = server;
    const startedAt = performance.now();
    model = await LlamaTextModel.load(options, log, () => embedded.processing);
    if (shuttingDown) return;
    embedded.attach(model);
    const loadMs = Math.round(performance.now() - startedAt);
    report({ event: 'ready', model: model.name, contextSize: model.contextSize, loadMs });
    log(
      `kitt embedded: model ${model.name} loaded in ${loadMs} ms (${options.threads} threads, ${options.parallel} slots, ctx ${model.contextSize})`,
    );
  } catch (error) {
    report({
      event: 'error',
      code: 'ENGINE_FAILED',
      message: `cannot load ${options.modelPath}: ${(error as Error).message}`,
    });
    log(`kitt embedded: cannot load ${options.modelPath}: ${(error as Error).stack ?? error}`);
    shutdown('load failed', CHILD_EXIT.LOAD_FAILED);
  }
}

void main();
