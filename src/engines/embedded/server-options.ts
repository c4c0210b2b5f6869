import { KittError } from '../../core/errors.js';

/** How the embedded server runs: what it loads, where it listens, and how it computes. */
export interface EmbeddedServerOptions {
  readonly modelPath: string;
  /** 0 picks a free port; the server reports the one it got. */
  readonly port: number;
  /** Always loopback unless a person says otherwise. */
  readonly host: string;
  /** Requests served at once (one context sequence each); more wait in a FIFO. */
  readonly parallel: number;
  /** CPU threads for evaluation. */
  readonly threads: number;
  /** Tokens of context per slot (prompt + generation). */
  readonly ctxSize: number;
  /** Tokens evaluated per decode call during prompt processing. */
  readonly batchSize: number;
  /** The model name /v1/models lists and responses carry; default the file name. */
  readonly alias: string | undefined;
}

export const DEFAULT_CTX_SIZE = 4096;

/** Exit codes of the server process, which the parent maps back to KittErrors. */
export const CHILD_EXIT = { BAD_ARGS: 2, PORT_IN_USE: 3, LOAD_FAILED: 4 } as const;

/** Threads beyond this gain little on CPU decoding and cost more in synchronisation. */
const MAX_DEFAULT_THREADS = 4;

/**
 * The thread count when none is given: one CPU is left to kitt itself (the load generator and the
 * server's event loop run beside the engine), the rest go to llama.cpp, 1 to 4. llama.cpp's thread
 * pool spins at every barrier, so one thread more than the CPUs that are really free collapses
 * throughput: on 2 shared CPUs the tiny model made ~900 tokens/s on 1 thread and 40-500 on 2, the
 * small one ~300 on 1 and 6-60 on 2.
 */
export function defaultEmbeddedThreads(availableCpus: number): number {
  return Math.max(1, Math.min(availableCpus - 1, MAX_DEFAULT_THREADS));
}
export const DEFAULT_BATCH_SIZE = 512;

const USAGE_HINT =
  'embedded server arguments: --model PATH [--port N] [--host ADDR] [--parallel N] [--threads N] [--ctx-size N] [--batch-size N] [--alias NAME]';

function integer(flag: string, text: string | undefined, min: number, max: number): number {
  const value = Number(text);
  if (text === undefined || !Number.isInteger(value) || value < min || value > max) {
    throw new KittError('USAGE', `${flag} must be an integer from ${min} to ${max} (got ${text ?? 'nothing'})`, {
      hint: USAGE_HINT,
    });
  }
  return value;
}

/**
 * Parses the embedded server's command line (llama-server's flag names where they exist).
 * `threads` defaults to `defaultThreads`, since the right count depends on the CPUs the caller sees.
 */
export function parseServerArgs(argv: readonly string[], defaultThreads: number): EmbeddedServerOptions {
  let modelPath: string | undefined;
  let port = 0;
  let host = '127.0.0.1';
  let parallel = 1;
  let threads = defaultThreads;
  let ctxSize = DEFAULT_CTX_SIZE;
  let batchSize = DEFAULT_BATCH_SIZE;
  let alias: string | undefined;
  for (let index = 0; index < argv.length; index += 1) {
    const flag = argv[index]!;
    const value = argv[index + 1];
    index += 1;
    switch (flag) {
      case '--model':
      case '-m':
        modelPath = value;
        break;
      case '--port':
        port = integer(flag, value, 0, 65_535);
        break;
      case '--host':
        host = value ?? host;
        break;
      case '--parallel':
      case '-np':
        parallel = integer(flag, value, 1, 256);
        break;
      case '--threads':
      case '-t':
        threads = integer(flag, value, 1, 1_024);
        break;
      case '--ctx-size':
      case '-c':
        ctxSize = integer(flag, value, 16, 1 << 20);
        break;
      case '--batch-size':
      case '-b':
        batchSize = integer(flag, value, 1, 1 << 16);
        break;
      case '--alias':
        alias = value;
        break;
      default:
        throw new KittError('USAGE', `unknown embedded server argument ${flag}`, { hint: USAGE_HINT });
    }
  }
  if (!modelPath) throw new KittError('USAGE', 'the embedded server needs --model PATH', { hint: USAGE_HINT });
  return { modelPath, port, host, parallel, threads, ctxSize, batchSize, alias };
}

/** The command line that parseServerArgs reads back. */
export function formatServerArgs(options: Partial<EmbeddedServerOptions> & { modelPath: string }): string[] {
  const args = ['--model', options.modelPath];
  if (options.port !== undefined) args.push('--port', String(options.port));
  if (options.host !== undefined) args.push('--host', options.host);
  if (options.parallel !== undefined) args.push('--parallel', String(options.parallel));
  if (options.threads !== undefined) args.push('--threads', String(options.threads));
  if (options.ctxSize !== undefined) args.push('--ctx-size', String(options.ctxSize));
  if (options.batchSize !== undefined) args.push('--batch-size', String(options.batchSize));
  if (options.alias !== undefined) args.push('--alias', options.alias);
  return args;
}
