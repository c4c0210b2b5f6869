import { KittError } from '../core/errors.js';
import { parseBytes } from '../core/units.js';
import { assertModeSupported, DEFAULT_ENGINE, defaultModeOf, parseEngineName } from '../engines/catalog.js';
import {
  ENGINE_MODES,
  type EngineMode,
  type EngineName,
  type EngineRequest,
  type ResourceLimits,
} from '../engines/engine.js';
import { parseGpus } from '../engines/gpu-selection.js';

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

export function parseMode(text: string): EngineMode {
  if ((ENGINE_MODES as readonly string[]).includes(text)) return text as EngineMode;
  throw new KittError('USAGE', `unknown mode "${text}"`, { hint: `use --mode ${ENGINE_MODES.join(', --mode ')}` });
}

/** The mode an engine runs in when none is named: the first its definition lists. */
export function defaultModeFor(engine: EngineName): EngineMode {
  return defaultModeOf(engine);
}

function positiveNumber(flag: string, text: string | undefined, integer: boolean): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!(value > 0) || (integer && !Number.isInteger(value))) {
    throw new KittError('USAGE', `${flag} must be a ${integer ? 'whole ' : ''}number above 0, got "${text}"`, {
      hint: `e.g. ${flag} ${integer ? '2' : '1.5'}`,
    });
  }
  return value;
}

export function limitsFrom(flags: EngineFlags): ResourceLimits {
  const memoryBytes = flags.memory === undefined ? undefined : parseBytes(flags.memory);
  const memorySwapBytes = flags.memorySwap === undefined ? undefined : parseBytes(flags.memorySwap);
  if (memoryBytes !== undefined && memoryBytes < 6 * 1024 * 1024) {
    throw new KittError('USAGE', `--memory ${flags.memory} is below Docker's minimum of 6 MiB`, {
      hint: 'give at least --memory 6m (engines need far more: try 1g)',
    });
  }
  if (memorySwapBytes !== undefined && (memoryBytes === undefined || memorySwapBytes < memoryBytes)) {
    throw new KittError('USAGE', '--memory-swap must be at least --memory', {
      hint: 'set --memory too, and --memory-swap >= --memory (equal means no swap)',
    });
  }
  const limits: ResourceLimits = {
    ...(memoryBytes !== undefined ? { memoryBytes } : {}),
    // Equal memory and swap limits mean "no swap": an engine that outgrows its limit is OOM-killed,
    // not slowed down by swapping, so the limit that was set is the one that is measured.
    ...(memoryBytes !== undefined ? { memorySwapBytes: memorySwapBytes ?? memoryBytes } : {}),
    ...(flags.cpus !== undefined ? { cpus: positiveNumber('--cpus', flags.cpus, false) } : {}),
    ...(flags.pids !== undefined ? { pids: positiveNumber('--pids', flags.pids, true) } : {}),
  };
  const gpus = flags.gpus === undefined ? undefined : parseGpus(flags.gpus);
  return gpus === undefined ? limits : { ...limits, gpus };
}

/**
 * Turns the shared engine flags into an EngineRequest. The model may be left empty: the caller
 * then substitutes the synthetic default model.
 */
export function engineRequestFrom(
  flags: EngineFlags,
  context: { runId: string; env: NodeJS.ProcessEnv; defaultEngine?: string },
): EngineRequest {
  const engine = parseEngineName(flags.engine ?? context.env.KITT_ENGINE ?? context.defaultEngine ?? DEFAULT_ENGINE);
  const mode = flags.mode
    ? parseMode(flags.mode)
    : context.env.KITT_MODE
      ? parseMode(context.env.KITT_MODE)
      : defaultModeFor(engine);
  assertModeSupported({ engine, mode });
  const port = positiveNumber('--port', flags.port, true);
  if (port !== undefined && port > 65535) {
    throw new KittError('USAGE', `--port ${port} is not a TCP port`, { hint: 'use a port between 1 and 65535' });
  }
  const parallel = positiveNumber('--parallel', flags.parallel, true);
  const threads = positiveNumber('--threads', flags.threads, true);
  return {
    engine,
    mode,
    modelPath: flags.model ?? context.env.MODEL_PATH ?? '',
    limits: limitsFrom(flags),
    engineArgs: [...(flags.engineArg ?? [])],
    runId: context.runId,
    ...(port !== undefined ? { port } : {}),
    ...(flags.image !== undefined ? { image: flags.image } : {}),
    ...(parallel !== undefined ? { parallel } : {}),
    ...(threads !== undefined ? { threads } : {}),
  };
}
