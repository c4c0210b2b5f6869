import { redactUrl } from './secret.js';

/**
 * Base error of every failure kitt reports to a person. Each carries a stable code, a one-line
 * message and a hint that names the fix; the CLI prints `error: <message> (<hint>)` and exits with
 * the code's entry in EXIT_CODES. Domains subclass it or use it directly with their own codes.
 */
export class KittError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { hint?: string; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KittError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }
}

/**
 * One table of exit codes for the whole tool. Codes group by what the person must fix:
 * 2 usage/config, 3 input files, 4 environment (ports, Docker, permissions), 5 engine, 6 load, 7 limits hit.
 * A run stopped by a signal exits as shells report a process killed by it: 128 + the signal's
 * number (SIGINT 2 → 130, SIGTERM 15 → 143), after it saved what it measured.
 */
export const EXIT_CODES = {
  USAGE: 2,
  CONFIG_INVALID: 2,
  UNKNOWN_ENGINE: 2,
  UNKNOWN_KIND: 2,
  MODEL_NOT_FOUND: 3,
  MODEL_NOT_GGUF: 3,
  MODEL_FORMAT_MISMATCH: 3,
  DATASET_INVALID: 3,
  PORT_IN_USE: 4,
  HOME_NOT_WRITABLE: 4,
  RUNTIME_UNREACHABLE: 4,
  IMAGE_MISSING: 4,
  IMAGE_BUILD_FAILED: 4,
  GPU_UNAVAILABLE: 4,
  STORE_FAILED: 4,
  EXPORT_FAILED: 4,
  ENGINE_NOT_READY: 5,
  ENGINE_EXITED: 5,
  ENGINE_FAILED: 5,
  LOAD_CLIENT_SATURATED: 6,
  LOAD_FAILED: 6,
  CALIBRATION_FAILED: 6,
  OOM_KILLED: 7,
  INTERRUPTED: 130,
  TERMINATED: 143,
  INTERNAL: 1,
} as const;

export type ErrorCode = keyof typeof EXIT_CODES;

/** HTTP status the web server answers for each code; anything unlisted is a 500. */
export const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  USAGE: 400,
  CONFIG_INVALID: 400,
  UNKNOWN_ENGINE: 400,
  UNKNOWN_KIND: 400,
  DATASET_INVALID: 400,
  MODEL_NOT_FOUND: 404,
  MODEL_NOT_GGUF: 422,
  MODEL_FORMAT_MISMATCH: 422,
  PORT_IN_USE: 409,
  IMAGE_MISSING: 424,
  RUNTIME_UNREACHABLE: 503,
  ENGINE_NOT_READY: 503,
};

/** The codes of a run stopped by SIGINT or SIGTERM: kitt saved what it measured and cleaned up. */
export type InterruptionCode = Extract<ErrorCode, 'INTERRUPTED' | 'TERMINATED'>;

/** The interruption a signal causes; `kitt` exits with its code once shutdown has finished. */
export function interruptionBy(signal: 'SIGINT' | 'SIGTERM'): KittError {
  return new KittError(signal === 'SIGTERM' ? 'TERMINATED' : 'INTERRUPTED', `interrupted by ${signal}`);
}

export function isInterruption(error: unknown): error is KittError & { code: InterruptionCode } {
  return error instanceof KittError && (error.code === 'INTERRUPTED' || error.code === 'TERMINATED');
}

export function exitCodeOf(error: unknown): number {
  return error instanceof KittError ? EXIT_CODES[error.code] : EXIT_CODES.INTERNAL;
}

/**
 * The single line a person sees: the message, then the fix. URL credentials are removed here as
 * the last line of defence, whatever library wrote the message.
 */
export function describeError(error: unknown): string {
  if (error instanceof KittError) {
    return redactUrl(error.hint ? `${error.message} (${error.hint})` : error.message);
  }
  return redactUrl(error instanceof Error ? error.message : String(error));
}
