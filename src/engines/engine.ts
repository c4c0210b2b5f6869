import type { ErrorCode } from '../core/errors.js';

/**
 * An engine's catalog name (`kitt engines list` shows them). The catalog is the only list: code
 * outside `engines/<name>` asks a definition for what it can do instead of testing the name.
 */
export type EngineName = string;

/**
 * How kitt hosts the engine: a sibling container, a host process, or kitt's own child process;
 * `external`: a server someone else started (kitt run --target), which kitt neither starts nor stops.
 */
export type EngineMode = 'docker' | 'native' | 'embedded' | 'external';

/** Every hosting mode a person can choose, in the order help text lists them (`external` comes with --target). */
export const ENGINE_MODES: readonly EngineMode[] = ['docker', 'native', 'embedded'];

/** Which wire protocol the load clients speak to it. */
export type EngineApi = 'openai' | 'ollama';

/** Hard limits applied to the engine (container cgroups, or recorded only for native mode). */
export interface ResourceLimits {
  readonly memoryBytes?: number;
  readonly memorySwapBytes?: number;
  readonly cpus?: number;
  readonly pids?: number;
  /** 'all', or GPU indices; undefined means no GPU requested. */
  readonly gpus?: 'all' | readonly number[];
}

/** What a person asked for: engine, model, mode, limits and pass-through flags. */
export interface EngineRequest {
  readonly engine: EngineName;
  readonly mode: EngineMode;
  readonly modelPath: string;
  readonly port?: number;
  readonly limits: ResourceLimits;
  readonly engineArgs: readonly string[];
  readonly image?: string;
  readonly runId: string;
  /** Parallel request slots the engine should serve (llama.cpp --parallel, embedded slots). */
  readonly parallel?: number;
  readonly threads?: number;
}

/** How an engine ended: exit code, signal, and whether the kernel OOM-killed it. */
export interface EngineExit {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly oomKilled: boolean;
  readonly reason: string;
}

/** A started, ready engine. Stop is idempotent; `await using` stops it. */
export interface RunningEngine extends AsyncDisposable {
  readonly name: EngineName;
  readonly mode: EngineMode;
  readonly api: EngineApi;
  /** e.g. http://127.0.0.1:8081 — no trailing slash. */
  readonly baseUrl: string;
  /** The model name to put in requests. */
  readonly servedModel: string;
  /** Container id or process id, for stats and logs. */
  readonly handle: string;
  readonly limits: ResourceLimits;
  /** Resolves if the engine exits on its own before stop() (crash, OOM). */
  readonly exited: Promise<EngineExit>;
  /** Last lines of the engine's log, for error messages. */
  logTail(lines?: number): Promise<string>;
  stop(): Promise<StoppedEngine>;
}

export interface StoppedEngine {
  readonly name: EngineName;
  readonly exit: EngineExit;
}

/** Errors engines raise carry one of these codes (see core/errors.ts). */
export type EngineErrorCode = Extract<
  ErrorCode,
  'ENGINE_NOT_READY' | 'ENGINE_EXITED' | 'ENGINE_FAILED' | 'IMAGE_MISSING' | 'OOM_KILLED' | 'PORT_IN_USE'
>;
