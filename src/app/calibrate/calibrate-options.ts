import type { CalibrationPolicy } from '../../calibrate/plan-next-window.js';
import type { CalibrationObjective, LatencySlo } from '../../calibrate/window-verdict.js';
import { flagValues } from '../../core/flag-values.js';
import { OptionIssues } from '../../core/option-issues.js';
import type { EngineRequest } from '../../engines/engine.js';
import type { PromptSpec } from '../../load/prompt-spec.js';
import { readSlo, SLO_EXAMPLE, SLO_PERCENTILE_EXAMPLE, type SloTerm } from '../../metrics/slo.js';
import { readCpuBand } from '../shared/cpu-band-option.js';
import { type EngineFlags, readEngineRequest } from '../shared/engine-options.js';
import { readTargetPlan, type TargetFlags, type TargetPlan, targetEngineRequest } from '../shared/target-options.js';
import type { ContextsRequest } from './calibrate-contexts.js';
import { CALIBRATION_PROMPTS } from './calibrate-ports.js';

/** Which calibration judgement each SLO term feeds: windows are judged on p95 or p99 of TTFT and TPOT. */
const LATENCY_KEYS: Record<string, keyof LatencySlo> = {
  'ttft-95': 'ttftP95Ms',
  'ttft-99': 'ttftP99Ms',
  'tpot-95': 'tpotP95Ms',
  'tpot-99': 'tpotP99Ms',
};

/**
 * The calibration SLO from the shared SLO grammar. A window is judged on percentiles, so a term
 * without one (`ttft=500ms`) is read as p95; calibrate judges TTFT and TPOT at p95 and p99.
 */
export function readLatencySlo(text: string, issues: OptionIssues): LatencySlo | undefined {
  const terms = readSlo(text, issues);
  if (!terms) return undefined;
  const slo: Partial<Record<keyof LatencySlo, number>> = {};
  for (const term of terms) {
    const key = LATENCY_KEYS[`${term.metric}-${term.percentile ?? 95}`];
    if (key) slo[key] = term.boundMs;
    else issues.add(`--slo ${term.text}: kitt calibrate judges ttft and tpot at p95 or p99`, unsupportedFix(term));
  }
  return slo;
}

function unsupportedFix(term: SloTerm): string {
  return term.metric === 'ttft' || term.metric === 'tpot'
    ? `write ${term.metric}-p95 or ${term.metric}-p99, e.g. --slo ${SLO_PERCENTILE_EXAMPLE}`
    : `drop ${term.text}; e.g. --slo ${SLO_EXAMPLE}`;
}

export interface CalibrateFlags {
  readonly targetCpu: string;
  readonly slo?: string;
  readonly objective: string;
  readonly window: string;
  readonly maxWindows: string;
  readonly soak: string;
  readonly startRate: string;
  readonly maxRate: string;
  /** Half-width of the rate's 95 % interval to reach, percent of the rate: `5` or `5%`. */
  readonly precision?: string;
}

export interface CalibrationSettings {
  readonly policy: CalibrationPolicy;
  readonly windowMs: number;
  readonly soakMs: number;
}

const OBJECTIVES: readonly CalibrationObjective[] = ['cpu', 'slo', 'both'];

/** Reads every calibration flag into `issues`; the policy and window lengths, or undefined. */
export function readCalibrationSettings(flags: CalibrateFlags, issues: OptionIssues): CalibrationSettings | undefined {
  const before = issues.list.length;
  const read = flagValues(issues);
  const slo = flags.slo === undefined ? undefined : readLatencySlo(flags.slo, issues);
  const objective = read.choice('--objective', flags.objective, OBJECTIVES);
  if (objective !== undefined && objective !== 'cpu' && flags.slo === undefined) {
    issues.add(`--objective ${objective} needs a latency SLO`, `add --slo ${SLO_EXAMPLE}, or use --objective cpu`);
  }
  const maxWindows = read.positiveInt('--max-windows', flags.maxWindows, '10');
  if (maxWindows !== undefined && maxWindows < 2) {
    issues.add(`--max-windows must be at least 2, got ${maxWindows}`, 'e.g. --max-windows 10');
  }
  const startRate = read.positiveNumber('--start-rate', flags.startRate, '0.5');
  const maxRate = read.positiveNumber('--max-rate', flags.maxRate, '200');
  if (startRate !== undefined && maxRate !== undefined && maxRate < startRate) {
    issues.add('rates must satisfy --start-rate <= --max-rate', 'e.g. --start-rate 0.5 --max-rate 200 (requests/s)');
  }
  const cpuBand = readCpuBand(flags.targetCpu, issues);
  const windowMs = read.durationMs('--window', flags.window, 's');
  if (windowMs !== undefined && !(windowMs > 0)) issues.add('--window must be longer than 0', 'e.g. --window 10s');
  const soakMs = read.durationMs('--soak', flags.soak, 's');
  const precision = flags.precision === undefined ? undefined : readPrecision(flags.precision, objective, issues);
  if (issues.list.length > before) return undefined;
  return {
    policy: {
      objective: objective!,
      cpuBand: cpuBand!,
      slo,
      startRate: startRate!,
      minRate: startRate! / 64,
      maxRate: maxRate!,
      maxWindows: maxWindows!,
      soak: soakMs! > 0,
      ...(precision === undefined ? {} : { precision }),
    },
    windowMs: windowMs!,
    soakMs: soakMs!,
  };
}

/** readCalibrationSettings that throws one USAGE error listing every problem. */
export function calibrationSettingsFrom(flags: CalibrateFlags): CalibrationSettings {
  const issues = new OptionIssues();
  const settings = readCalibrationSettings(flags, issues);
  issues.throwIfAny();
  return settings!;
}

/** The flags of `kitt calibrate`, as commander hands them over. */
export interface CalibrateCommandFlags extends CalibrateFlags, EngineFlags, TargetFlags {
  readonly promptTokens: string;
  readonly outputTokens: string;
  /** commander's `--no-contexts`: false skips the contexts phase. */
  readonly contexts?: boolean;
  readonly contextTokens?: string;
  readonly contextsCeiling?: string;
}

/** Share of the memory limit the contexts phase keeps free: the estimate fills at most 90 % of it. */
export const CONTEXTS_MARGIN = 0.1;
/** Most contexts estimated or verified unless --contexts-ceiling says otherwise. */
export const CONTEXTS_CEILING = 64;

/** The contexts phase's settings, or undefined with `--no-contexts`. */
export function readContextsSettings(
  flags: Pick<CalibrateCommandFlags, 'contexts' | 'contextTokens' | 'contextsCeiling'>,
  issues: OptionIssues,
): Omit<ContextsRequest, 'engine'> | undefined {
  const read = flagValues(issues);
  const contextTokens =
    flags.contextTokens === undefined ? undefined : read.positiveInt('--context-tokens', flags.contextTokens, '1024');
  if (contextTokens !== undefined && contextTokens < 64) {
    issues.add(`--context-tokens must be at least 64, got ${contextTokens}`, 'e.g. --context-tokens 1024');
  }
  const ceiling =
    flags.contextsCeiling === undefined
      ? CONTEXTS_CEILING
      : read.positiveInt('--contexts-ceiling', flags.contextsCeiling, String(CONTEXTS_CEILING));
  if (flags.contexts === false) return undefined;
  return {
    margin: CONTEXTS_MARGIN,
    ceiling: ceiling ?? CONTEXTS_CEILING,
    ...(contextTokens === undefined ? {} : { contextTokens }),
  };
}

/** What `kitt calibrate` runs, validated whole before any engine starts. */
export interface CalibrationPlan extends CalibrationSettings {
  readonly engine: EngineRequest;
  readonly prompts: PromptSpec;
  /** A server that runs already: calibrated on the SLO alone, nothing started or limited. */
  readonly target?: TargetPlan;
  /** The contexts phase after the rate; absent with --no-contexts or --target. */
  readonly contexts?: Omit<ContextsRequest, 'engine'>;
}

/**
 * `kitt calibrate --target URL`: the highest rate a server that runs already sustains within the
 * SLO. Its CPU is not kitt's to read, so only `--objective slo` can be judged.
 */
function planTargetCalibration(
  flags: CalibrateCommandFlags,
  context: { readonly runId: string; readonly env: NodeJS.ProcessEnv },
  issues: OptionIssues,
): CalibrationPlan {
  const read = flagValues(issues);
  if (flags.objective !== 'slo') {
    issues.add(
      `--objective ${flags.objective} judges the CPU of a container kitt starts; a --target server's CPU cannot be read`,
      `use --objective slo with --slo, e.g. --objective slo --slo ${SLO_PERCENTILE_EXAMPLE}`,
    );
  }
  const settings = readCalibrationSettings(flags, issues);
  const target = readTargetPlan(flags, {}, context.env, issues);
  const inputTokens = read.positiveInt('--prompt-tokens', flags.promptTokens, '128');
  const outputTokens = read.positiveInt('--output-tokens', flags.outputTokens, '64');
  issues.throwIfAny();
  return {
    ...settings!,
    engine: targetEngineRequest(target!, context.runId),
    target: target!,
    prompts: { ...CALIBRATION_PROMPTS, inputTokens: inputTokens!, outputTokens: outputTokens! },
  };
}

/** Builds the plan of `kitt calibrate` from its flags, reporting every problem at once. */
export function planCalibrationRun(
  flags: CalibrateCommandFlags,
  context: { readonly runId: string; readonly env: NodeJS.ProcessEnv },
): CalibrationPlan {
  const issues = new OptionIssues();
  const read = flagValues(issues);
  if (flags.target !== undefined) return planTargetCalibration(flags, context, issues);
  const required = [
    ['engine', '-e, --engine', '-e llamacpp'],
    ['model', '-m, --model', '-m ./model.gguf'],
    ['cpus', '--cpus', '--cpus 1'],
    ['memory', '--memory', '--memory 2g'],
  ] as const;
  for (const [key, flag, example] of required) {
    // a calibrated rate belongs to one engine, model and set of limits: none of them may be implied
    if (flags[key] === undefined) issues.add(`kitt calibrate needs ${flag}`, `add e.g. ${example}`);
  }
  const settings = readCalibrationSettings(flags, issues);
  const engine = readEngineRequest(flags, context, issues);
  const inputTokens = read.positiveInt('--prompt-tokens', flags.promptTokens, '128');
  const outputTokens = read.positiveInt('--output-tokens', flags.outputTokens, '64');
  const contexts = readContextsSettings(flags, issues);
  issues.throwIfAny();
  return {
    ...settings!,
    engine: engine!,
    ...(contexts ? { contexts } : {}),
    prompts: { ...CALIBRATION_PROMPTS, inputTokens: inputTokens!, outputTokens: outputTokens! },
  };
}

/** `5` or `5%` → 0.05: the interval half-width to reach, relative to the rate (CPU objective only). */
function readPrecision(
  text: string,
  objective: CalibrationObjective | undefined,
  issues: OptionIssues,
): number | undefined {
  const percent = Number(text.trim().replace(/\s*%$/, ''));
  if (!(percent > 0 && percent < 100)) {
    return issues.add(
      `--precision must be a percentage between 0 and 100, got "${text}"`,
      'e.g. --precision 5 (the 95 % interval within ±5 % of the rate)',
    );
  }
  if (objective !== undefined && objective !== 'cpu') {
    return issues.add(
      `--precision is for the CPU band, not objective "${objective}"`,
      'use --precision with --objective cpu',
    );
  }
  return percent / 100;
}
