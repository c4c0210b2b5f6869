import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { KittConfig } from '../config/config-schema.js';
import { KittError } from '../core/errors.js';
import { parseDurationMs } from '../core/units.js';
import { LOAD_KINDS, type LoadSpec, parseLoadSpec } from '../load/load-spec.js';
import { parseSharedPrefix } from '../load/prompt-spec.js';

/** The load flags of `kitt run`, as commander hands them over (strings). */
export interface LoadFlags {
  readonly load?: string;
  readonly loadFile?: string;
  readonly requests?: string;
  readonly duration?: string;
  readonly concurrency?: string;
  readonly rate?: string;
  readonly levels?: string;
  readonly sweepOf?: string;
  readonly warmup?: string;
  readonly promptTokens?: string;
  readonly outputTokens?: string;
  readonly maxInFlight?: string;
  readonly overflow?: string;
  readonly dataset?: string;
  readonly datasetFormat?: string;
  readonly workers?: string;
  readonly timeout?: string;
  readonly seed?: string;
  readonly promptSalt?: string;
  readonly sharedPrefix?: string;
}

function numberFlag(flag: string, text: string | undefined, integer = true): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!(value > 0) || (integer && !Number.isInteger(value))) {
    throw new KittError('USAGE', `${flag} must be a ${integer ? 'whole ' : ''}number above 0, got "${text}"`, {
      hint: `e.g. ${flag} ${integer ? '16' : '2.5'}`,
    });
  }
  return value;
}

function readSpecFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new KittError('USAGE', `load file ${path} cannot be read`, { hint: 'check the path given to --load-file' });
  }
  try {
    return parseYaml(text);
  } catch (error) {
    throw new KittError(
      'CONFIG_INVALID',
      `load file ${path} is not YAML or JSON: ${(error as Error).message.split('\n')[0]}`,
      {
        hint: 'write the spec as YAML or JSON (docs/load.md has examples)',
      },
    );
  }
}

/**
 * Builds the load spec of a run: a --load-file wins whole; otherwise flags over the config's
 * `run.load` defaults. A warmup of a few requests is on by default so model loading and first-use
 * allocations never land in the measured phase.
 */
export function loadSpecFrom(flags: LoadFlags, config: KittConfig): LoadSpec {
  if (flags.loadFile) return parseLoadSpec(readSpecFile(flags.loadFile));
  const defaults = config.run.load;
  const kind = flags.load ?? defaults.kind;
  if (!(LOAD_KINDS as readonly string[]).includes(kind)) {
    throw new KittError('UNKNOWN_KIND', `unknown load kind "${kind}"`, { hint: `use --load ${LOAD_KINDS.join(', ')}` });
  }
  const durationS =
    flags.duration !== undefined
      ? parseDurationMs(flags.duration) / 1000
      : flags.requests === undefined && defaults.duration !== undefined
        ? parseDurationMs(defaults.duration) / 1000
        : undefined;
  const requests =
    numberFlag('--requests', flags.requests) ?? (durationS === undefined ? defaults.requests : undefined);
  const concurrency = numberFlag('--concurrency', flags.concurrency) ?? defaults.concurrency;
  const rate = numberFlag('--rate', flags.rate, false) ?? defaults.rate;
  const warmup = flags.warmup === undefined ? Math.min(4, concurrency) : Number(flags.warmup);
  if (!Number.isInteger(warmup) || warmup < 0) {
    throw new KittError('USAGE', `--warmup must be a whole number of requests, got "${flags.warmup}"`, {
      hint: 'e.g. --warmup 4, or 0 for none',
    });
  }
  const outputTokens = numberFlag('--output-tokens', flags.outputTokens) ?? defaults.outputTokens;
  const prompts = flags.dataset
    ? { kind: 'dataset', path: flags.dataset, format: flags.datasetFormat ?? 'jsonl', outputTokens }
    : {
        kind: 'synthetic',
        inputTokens: numberFlag('--prompt-tokens', flags.promptTokens) ?? defaults.promptTokens,
        outputTokens,
        ...(flags.seed !== undefined ? { seed: Number(flags.seed) } : {}),
        ...(flags.promptSalt !== undefined ? { salt: flags.promptSalt } : {}),
        ...(flags.sharedPrefix !== undefined ? { sharedPrefix: parseSharedPrefix(flags.sharedPrefix) } : {}),
      };
  const spec: Record<string, unknown> = {
    kind,
    prompts,
    ...(requests !== undefined ? { requests } : {}),
    ...(durationS !== undefined ? { durationS } : {}),
    ...(warmup > 0 ? { warmup: { requests: warmup } } : {}),
    ...(flags.workers !== undefined ? { workers: numberFlag('--workers', flags.workers) } : {}),
    ...(flags.timeout !== undefined ? { timeoutS: parseDurationMs(flags.timeout) / 1000 } : {}),
  };
  if (kind === 'fixed-concurrency') spec.concurrency = concurrency;
  if (kind === 'constant-rate' || kind === 'poisson') {
    if (rate === undefined) {
      throw new KittError('USAGE', `--load ${kind} needs a rate`, { hint: `add --rate REQUESTS_PER_S, e.g. --rate 2` });
    }
    spec.rate = rate;
  }
  if (kind === 'constant-rate' || kind === 'poisson' || kind === 'sweep') {
    if (flags.maxInFlight !== undefined) spec.maxInFlight = numberFlag('--max-in-flight', flags.maxInFlight);
    if (flags.overflow !== undefined) spec.overflow = flags.overflow;
  }
  if (kind === 'sweep') {
    if (!flags.levels) {
      throw new KittError('USAGE', '--load sweep needs levels', {
        hint: 'add --levels 1,2,4 (rates, or concurrencies with --sweep-of fixed-concurrency)',
      });
    }
    spec.of = flags.sweepOf ?? 'constant-rate';
    spec.levels = flags.levels.split(',').map((level) => numberFlag('--levels', level.trim(), false));
  }
  return parseLoadSpec(spec);
}
