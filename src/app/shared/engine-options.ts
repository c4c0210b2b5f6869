import type { LimitsConfig } from '../../config/config-schema.js';
import { KittError } from '../../core/errors.js';
import { flagValues } from '../../core/flag-values.js';
import { OptionIssues } from '../../core/option-issues.js';
import { readBytes } from '../../core/units.js';
import { assertModeSupported, DEFAULT_ENGINE, defaultModeOf, parseEngineName } from '../../engines/catalog.js';
import {
  ENGINE_MODES,
  type EngineMode,
  type EngineName,
  type EngineRequest,
  type ResourceLimits,
} from '../../engines/engine.js';
import { parseGpus } from '../../engines/gpu-selection.js';

/** The engine flags `kitt run` and `kitt calibrate` share, as commander hands them over (strings). */
export interface EngineFlags {
  readonly engine?: string;
  readonly mode?: string;
  readonly model?: string;
  readonly port?: string;
  readonly cpus?: string;
  readonly memory?: string;
  readonly memorySwap?: string;
  readonly pids?: string;
  readonly gpus?: string;
  readonly engineArg?: readonly string[];
  readonly image?: string;
  readonly parallel?: string;
  readonly threads?: string;
}

/**
 * What the config says when a flag does not, as the validated config holds it (numbers stay
 * numbers; sizes are strings in the core size grammar).
 */
export interface EngineDefaults {
  /** The port when --port is absent, by engine (`engines.<name>.port`, then `run.port`). */
  readonly portFor?: (engine: EngineName) => number | undefined;
  /** Limits under the flags: `limits`, with the chosen engine profile's `limits` over them. */
  readonly limits?: LimitsConfig;
}

export function parseMode(text: string): EngineMode {
  if ((ENGINE_MODES as readonly string[]).includes(text)) return text as EngineMode;
  throw new KittError('USAGE', `unknown mode "${text}"`, { hint: `use --mode ${ENGINE_MODES.join(', --mode ')}` });
}

/** The mode an engine runs in when none is named: the first its definition lists. */
export function defaultModeFor(engine: EngineName): EngineMode {
  return defaultModeOf(engine);
}

const DOCKER_MIN_MEMORY = 6 * 1024 * 1024;

/** Reads the limit flags over the configured limits into `issues`; every problem, not the first. */
export function readLimits(flags: EngineFlags, defaults: LimitsConfig, issues: OptionIssues): ResourceLimits {
  const read = flagValues(issues);
  const fromConfig = (text: string | undefined, key: string) => {
    if (text === undefined) return undefined;
    // the config schema checks sizes with the same grammar; this only guards a caller that did not
    return readBytes(text) ?? issues.add(`limits.${key} "${text}" is not a size`, 'fix it in the config');
  };
  const memoryBytes =
    flags.memory === undefined ? fromConfig(defaults.memory, 'memory') : read.bytes('--memory', flags.memory);
  const memorySwapBytes =
    flags.memorySwap === undefined
      ? fromConfig(defaults.memorySwap, 'memorySwap')
      : read.bytes('--memory-swap', flags.memorySwap);
  if (memoryBytes !== undefined && memoryBytes < DOCKER_MIN_MEMORY) {
    issues.add(
      `--memory ${flags.memory ?? defaults.memory} is below Docker's minimum of 6 MiB`,
      'give at least --memory 6m (engines need far more: try 1g)',
    );
  }
  if (memorySwapBytes !== undefined && (memoryBytes === undefined || memorySwapBytes < memoryBytes)) {
    issues.add(
      '--memory-swap must be at least --memory',
      'set --memory too, and --memory-swap >= --memory (equal means no swap)',
    );
  }
  const cpus =
    read.positiveNumber('--cpus', flags.cpus, '1.5') ?? (flags.cpus === undefined ? defaults.cpus : undefined);
  const pids = read.positiveInt('--pids', flags.pids, '512') ?? (flags.pids === undefined ? defaults.pids : undefined);
  const gpus = flags.gpus === undefined ? undefined : issues.attempt(() => parseGpus(flags.gpus!));
  return {
    ...(memoryBytes !== undefined ? { memoryBytes } : {}),
    // Equal memory and swap limits mean "no swap": an engine that outgrows its limit is OOM-killed,
    // not slowed down by swapping, so the limit that was set is the one that is measured.
    ...(memoryBytes !== undefined ? { memorySwapBytes: memorySwapBytes ?? memoryBytes } : {}),
    ...(cpus !== undefined ? { cpus } : {}),
    ...(pids !== undefined ? { pids } : {}),
    ...(gpus !== undefined ? { gpus } : {}),
  };
}

/** readLimits that throws one USAGE error listing every problem. */
export function limitsFrom(flags: EngineFlags, defaults: LimitsConfig = {}): ResourceLimits {
  const issues = new OptionIssues();
  const limits = readLimits(flags, defaults, issues);
  issues.throwIfAny();
  return limits;
}

export interface EngineRequestContext {
  readonly runId: string;
  readonly env: NodeJS.ProcessEnv;
  readonly defaultEngine?: string;
  readonly defaults?: EngineDefaults;
}

/**
 * Reads the shared engine flags into an EngineRequest, every problem into `issues`; undefined when
 * there was one. The model may be left empty: the caller then substitutes the synthetic default.
 */
export function readEngineRequest(
  flags: EngineFlags,
  context: EngineRequestContext,
  issues: OptionIssues,
): EngineRequest | undefined {
  const before = issues.list.length;
  const read = flagValues(issues);
  const engine = issues.attempt(() =>
    parseEngineName(flags.engine ?? context.env.KITT_ENGINE ?? context.defaultEngine ?? DEFAULT_ENGINE),
  );
  const modeText = flags.mode ?? context.env.KITT_MODE;
  const mode = modeText ? issues.attempt(() => parseMode(modeText)) : engine && defaultModeFor(engine);
  if (engine && mode) issues.attempt(() => assertModeSupported({ engine, mode }));
  const flagPort = read.positiveInt('--port', flags.port, '8081');
  if (flagPort !== undefined && flagPort > 65535) {
    issues.add(`--port ${flagPort} is not a TCP port`, 'use a port between 1 and 65535');
  }
  const port = flagPort ?? (flags.port === undefined && engine ? context.defaults?.portFor?.(engine) : undefined);
  const parallel = read.positiveInt('--parallel', flags.parallel, '4');
  const threads = read.positiveInt('--threads', flags.threads, '4');
  const limits = readLimits(flags, context.defaults?.limits ?? {}, issues);
  if (issues.list.length > before || !engine || !mode) return undefined;
  return {
    engine,
    mode,
    modelPath: flags.model ?? context.env.MODEL_PATH ?? '',
    limits,
    engineArgs: [...(flags.engineArg ?? [])],
    runId: context.runId,
    ...(port !== undefined ? { port } : {}),
    ...(flags.image !== undefined ? { image: flags.image } : {}),
    ...(parallel !== undefined ? { parallel } : {}),
    ...(threads !== undefined ? { threads } : {}),
  };
}

/** readEngineRequest that throws one error listing every problem. */
export function engineRequestFrom(flags: EngineFlags, context: EngineRequestContext): EngineRequest {
  const issues = new OptionIssues();
  const request = readEngineRequest(flags, context, issues);
  issues.throwIfAny();
  return request!;
}
