import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { KittConfig } from '../../config/config-schema.js';
import { flagValues } from '../../core/flag-values.js';
import { OptionIssues } from '../../core/option-issues.js';
import { readDurationMs } from '../../core/units.js';
import { LOAD_KINDS, type LoadKind, type LoadSpec, validateLoadSpec } from '../../load/load-spec.js';
import { parseSharedPrefix } from '../../load/prompt-spec.js';

/** The load flags of `kitt run`, as commander hands them over (strings). */
export interface LoadFlags {
  readonly load?: string;
  readonly loadFile?: string;
  readonly requests?: string;
  readonly duration?: string;
  readonly concurrency?: string;
  readonly rate?: string;
  readonly from?: string;
  readonly to?: string;
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
  readonly startSpread?: string;
  readonly stamps?: string;
}

type LoadDefaults = KittConfig['run']['load'];

const OPEN_LOOP: readonly LoadKind[] = ['constant-rate', 'poisson', 'ramp-rate', 'sweep'];
const RAMPS: readonly LoadKind[] = ['ramp-rate', 'ramp-concurrency'];

/** The flags that shape only some kinds of load, and those kinds (the first is the one suggested). */
const KIND_FLAGS: ReadonlyArray<{ key: keyof LoadFlags; flag: string; kinds: readonly LoadKind[] }> = [
  { key: 'concurrency', flag: '--concurrency', kinds: ['fixed-concurrency'] },
  { key: 'rate', flag: '--rate', kinds: ['constant-rate', 'poisson'] },
  { key: 'from', flag: '--from', kinds: RAMPS },
  { key: 'to', flag: '--to', kinds: RAMPS },
  { key: 'levels', flag: '--levels', kinds: ['sweep'] },
  { key: 'sweepOf', flag: '--sweep-of', kinds: ['sweep'] },
  { key: 'maxInFlight', flag: '--max-in-flight', kinds: OPEN_LOOP },
  { key: 'overflow', flag: '--overflow', kinds: OPEN_LOOP },
  { key: 'startSpread', flag: '--start-spread', kinds: ['fixed-concurrency', 'sweep'] },
];

/** Every load flag by its option name: a --load-file is the whole spec and takes none of them. */
const LOAD_FLAG_NAMES: Readonly<Record<Exclude<keyof LoadFlags, 'loadFile'>, string>> = {
  load: '--load',
  requests: '--requests',
  duration: '--duration',
  concurrency: '--concurrency',
  rate: '--rate',
  from: '--from',
  to: '--to',
  levels: '--levels',
  sweepOf: '--sweep-of',
  warmup: '--warmup',
  promptTokens: '--prompt-tokens',
  outputTokens: '--output-tokens',
  maxInFlight: '--max-in-flight',
  overflow: '--overflow',
  dataset: '--dataset',
  datasetFormat: '--dataset-format',
  workers: '--workers',
  timeout: '--timeout',
  seed: '--seed',
  promptSalt: '--prompt-salt',
  sharedPrefix: '--shared-prefix',
  startSpread: '--start-spread',
  stamps: '--stamps',
};

function readSpecFile(path: string, issues: OptionIssues): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return issues.add(`load file ${path} cannot be read`, 'check the path given to --load-file');
  }
  try {
    return parseYaml(text);
  } catch (error) {
    return issues.add(
      `load file ${path} is not YAML or JSON: ${(error as Error).message.split('\n')[0]}`,
      'write the spec as YAML or JSON (docs/load.md has examples)',
    );
  }
}

function readLoadFile(flags: LoadFlags, issues: OptionIssues): LoadSpec | undefined {
  const others = Object.entries(LOAD_FLAG_NAMES)
    .filter(([key]) => flags[key as keyof LoadFlags] !== undefined)
    .map(([, flag]) => flag);
  if (others.length > 0) {
    issues.add(
      `--load-file is the whole load spec, so ${others.join(', ')} would be ignored`,
      `drop ${others.join(', ')}, or write ${others.length === 1 ? 'it' : 'them'} into the file (docs/load.md)`,
    );
  }
  const input = readSpecFile(flags.loadFile!, issues);
  if (input === undefined) return undefined;
  return specOrIssues(input, issues, `load file ${flags.loadFile}`);
}

function specOrIssues(input: unknown, issues: OptionIssues, where: string): LoadSpec | undefined {
  const result = validateLoadSpec(input);
  if (result.ok) return result.spec;
  for (const issue of result.issues) {
    issues.add(
      `${where}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}`,
      'fix that field; docs/load.md lists every kind and option',
    );
  }
  return undefined;
}

/** `--rate` with a fixed-concurrency load: name the kinds that take it and the --load that would. */
function checkApplies(flags: LoadFlags, kind: LoadKind, fromConfig: boolean, issues: OptionIssues): void {
  const chosen = fromConfig ? `the configured load, ${kind}` : `--load ${kind}`;
  for (const { key, flag, kinds } of KIND_FLAGS) {
    if (flags[key] === undefined || kinds.includes(kind)) continue;
    issues.add(`${flag} applies to ${kinds.join(', ')}, not ${chosen}`, `add --load ${kinds[0]}, or drop ${flag}`);
  }
}

function readPrompts(flags: LoadFlags, defaults: LoadDefaults, issues: OptionIssues): Record<string, unknown> {
  const read = flagValues(issues);
  const outputTokens = read.positiveInt('--output-tokens', flags.outputTokens, '64') ?? defaults.outputTokens;
  if (flags.dataset === undefined) {
    if (flags.datasetFormat !== undefined) {
      issues.add('--dataset-format applies to a --dataset', 'add --dataset PATH, or drop --dataset-format');
    }
    const seed = read.integer('--seed', flags.seed);
    return {
      kind: 'synthetic',
      inputTokens: read.positiveInt('--prompt-tokens', flags.promptTokens, '64') ?? defaults.promptTokens,
      outputTokens,
      ...(seed !== undefined ? { seed } : {}),
      ...(flags.promptSalt !== undefined ? { salt: flags.promptSalt } : {}),
      ...(flags.sharedPrefix !== undefined
        ? { sharedPrefix: issues.attempt(() => parseSharedPrefix(flags.sharedPrefix!)) }
        : {}),
    };
  }
  for (const [key, flag] of [
    ['promptTokens', '--prompt-tokens'],
    ['seed', '--seed'],
    ['promptSalt', '--prompt-salt'],
    ['sharedPrefix', '--shared-prefix'],
  ] as const) {
    if (flags[key] !== undefined) {
      issues.add(`${flag} applies to synthetic prompts, not a --dataset`, `drop ${flag}, or drop --dataset`);
    }
  }
  const format = read.choice('--dataset-format', flags.datasetFormat, ['jsonl', 'sharegpt'] as const) ?? 'jsonl';
  return { kind: 'dataset', path: flags.dataset, format, outputTokens };
}

/** The kind's own fields: concurrency, rate, ramp ends or sweep levels, each checked for presence. */
function kindFields(kind: LoadKind, flags: LoadFlags, defaults: LoadDefaults, issues: OptionIssues) {
  const read = flagValues(issues);
  const fields: Record<string, unknown> = {};
  if (kind === 'fixed-concurrency') fields.concurrency = defaults.concurrency;
  if (kind === 'constant-rate' || kind === 'poisson') {
    const rate = read.positiveNumber('--rate', flags.rate) ?? defaults.rate;
    if (rate === undefined && flags.rate === undefined) {
      issues.add(`--load ${kind} needs a rate`, 'add --rate REQUESTS_PER_S, e.g. --rate 2');
    }
    fields.rate = rate;
  }
  if (kind === 'ramp-rate' || kind === 'ramp-concurrency') {
    const rates = kind === 'ramp-rate';
    const end = (flag: string, text: string | undefined) =>
      rates ? read.nonNegativeNumber(flag, text) : read.positiveInt(flag, text);
    fields.from = end('--from', flags.from);
    fields.to = end('--to', flags.to);
    if (flags.from === undefined || flags.to === undefined) {
      issues.add(
        `--load ${kind} needs --from and --to`,
        rates ? 'e.g. --from 0.5 --to 20 (requests/s)' : 'e.g. --from 1 --to 32 (requests in flight)',
      );
    }
  }
  if (kind === 'sweep') {
    fields.of = read.choice('--sweep-of', flags.sweepOf, ['constant-rate', 'poisson', 'fixed-concurrency'] as const);
    fields.of ??= 'constant-rate';
    if (flags.levels === undefined) {
      issues.add(
        '--load sweep needs levels',
        'add --levels 1,2,4 (rates, or concurrencies with --sweep-of fixed-concurrency)',
      );
    }
    fields.levels = read.list('--levels', flags.levels, (level) => read.positiveNumber('--levels', level, '1,2,4'));
    if (fields.of === 'fixed-concurrency' && (flags.maxInFlight !== undefined || flags.overflow !== undefined)) {
      issues.add(
        'a sweep of fixed-concurrency is closed-loop: its levels already cap what is in flight',
        'drop --max-in-flight and --overflow, or use --sweep-of constant-rate',
      );
    }
  }
  if (kind === 'fixed-concurrency' || fields.of === 'fixed-concurrency') {
    const spreadMs = read.durationMs('--start-spread', flags.startSpread, 's');
    if (spreadMs !== undefined) fields.startSpreadS = spreadMs / 1000;
  } else if (kind === 'sweep' && flags.startSpread !== undefined) {
    issues.add(
      '--start-spread spreads the first sends of a fixed concurrency',
      'drop it, or add --sweep-of fixed-concurrency',
    );
  }
  if (OPEN_LOOP.includes(kind)) {
    const maxInFlight = read.positiveInt('--max-in-flight', flags.maxInFlight, '16');
    if (maxInFlight !== undefined) fields.maxInFlight = maxInFlight;
    const overflow = read.choice('--overflow', flags.overflow, ['queue', 'drop'] as const);
    if (overflow !== undefined) fields.overflow = overflow;
  }
  return fields;
}

/**
 * The end of the measured phase: --requests and/or --duration, else the config's. A ramp lasts its
 * --duration (a request count only caps it), so the configured request count does not apply to it.
 */
function phaseEnd(kind: LoadKind | undefined, flags: LoadFlags, defaults: LoadDefaults, issues: OptionIssues) {
  const read = flagValues(issues);
  const ramp = kind !== undefined && RAMPS.includes(kind);
  const durationMs = read.durationMs('--duration', flags.duration, 's');
  const configuredMs = defaults.duration === undefined ? undefined : readDurationMs(defaults.duration, 's');
  const requests = read.positiveInt('--requests', flags.requests, '32');
  let durationS = durationMs === undefined ? undefined : durationMs / 1000;
  if (flags.duration === undefined && (flags.requests === undefined || ramp) && configuredMs !== undefined) {
    durationS = configuredMs / 1000;
  }
  if (ramp && durationS === undefined && flags.duration === undefined) {
    issues.add(`--load ${kind} needs --duration, the length of the ramp`, 'e.g. --duration 5m');
  }
  const counted =
    requests ?? (flags.requests === undefined && durationS === undefined && !ramp ? defaults.requests : undefined);
  return { ...(counted !== undefined ? { requests: counted } : {}), ...(durationS !== undefined ? { durationS } : {}) };
}

/** --load, else the configured kind (the config cannot check it: the list lives here, in load/). */
function chosenKind(flags: LoadFlags, defaults: LoadDefaults, issues: OptionIssues): LoadKind | undefined {
  if (flags.load !== undefined) return flagValues(issues).choice('--load', flags.load, LOAD_KINDS);
  if ((LOAD_KINDS as readonly string[]).includes(defaults.kind)) return defaults.kind as LoadKind;
  return issues.add(
    `run.load.kind "${defaults.kind}" in the config is not a load kind`,
    `use one of ${LOAD_KINDS.join(', ')}`,
  );
}

/**
 * Reads the load of a run into `issues` (all of them, not the first): a --load-file is the whole
 * spec; otherwise flags over the config's `run.load` defaults, each flag checked against the kind
 * it applies to. A warmup of a few requests is on by default so model loading and first-use
 * allocations never land in the measured phase. Undefined when there was any issue.
 */
export function readLoadSpec(flags: LoadFlags, defaults: LoadDefaults, issues: OptionIssues): LoadSpec | undefined {
  if (flags.loadFile !== undefined) return readLoadFile(flags, issues);
  const before = issues.list.length;
  const read = flagValues(issues);
  const fromConfig = flags.load === undefined;
  const kind = chosenKind(flags, defaults, issues);
  if (kind !== undefined) checkApplies(flags, kind, fromConfig, issues);
  // read only where it applies: elsewhere checkApplies has already named the flag
  const concurrency =
    (kind === 'fixed-concurrency' ? read.positiveInt('--concurrency', flags.concurrency) : undefined) ??
    defaults.concurrency;
  const warmup = read.count('--warmup', flags.warmup) ?? Math.min(4, concurrency);
  const workers = read.positiveInt('--workers', flags.workers, '2');
  const stamps = read.choice('--stamps', flags.stamps, ['socket', 'event-loop'] as const);
  const timeoutMs = read.durationMs('--timeout', flags.timeout, 's');
  const spec = {
    kind,
    prompts: readPrompts(flags, defaults, issues),
    ...phaseEnd(kind, flags, defaults, issues),
    ...(warmup > 0 ? { warmup: { requests: warmup } } : {}),
    ...(workers !== undefined ? { workers } : {}),
    ...(stamps !== undefined ? { stamps } : {}),
    ...(timeoutMs !== undefined ? { timeoutS: timeoutMs / 1000 } : {}),
    ...(kind !== undefined ? kindFields(kind, flags, { ...defaults, concurrency }, issues) : {}),
  };
  // A spec built around a bad flag would report the same problem again in spec terms.
  if (issues.list.length > before) return undefined;
  return specOrIssues(spec, issues, 'load');
}

/** readLoadSpec that throws one USAGE error listing every problem. */
export function loadSpecFrom(flags: LoadFlags, config: KittConfig): LoadSpec {
  const issues = new OptionIssues();
  const spec = readLoadSpec(flags, config.run.load, issues);
  issues.throwIfAny();
  return spec!;
}
