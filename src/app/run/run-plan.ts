import type { KittConfig } from '../../config/config-schema.js';
import { flagValues } from '../../core/flag-values.js';
import { OptionIssues } from '../../core/option-issues.js';
import type { EngineRequest } from '../../engines/engine.js';
import { planLoad } from '../../load/load-plan.js';
import type { LoadSpec } from '../../load/load-spec.js';
import { checkDataset } from '../../load/prompt-source.js';
import { percentileTerms, readSlo, requestBounds, type SloBounds, type SloTerm } from '../../metrics/slo.js';
import { type CalibratedRequestRate, calibratedRequestRate, rateKey } from '../shared/calibrated-rate.js';
import type { EngineFlags } from '../shared/engine-options.js';
import { type EngineOrTarget, plannedEngineRequest, readEngineOrTarget } from '../shared/engine-plan.js';
import { type LoadFlags, readLoadSpec } from '../shared/load-options.js';
import type { TargetFlags, TargetPlan } from '../shared/target-options.js';

/** The flags of `kitt run` that shape what is run, as commander hands them over (strings). */
export interface RunFlags extends EngineFlags, LoadFlags, TargetFlags {
  readonly slo?: string;
  readonly prometheusPort?: string;
  readonly repeat?: string;
}

/** The most repeats one series may ask for: enough for a tight interval, not a typo's thousand runs. */
export const MAX_REPEATS = 100;

/** A run, validated whole before anything starts: every value checked, every default filled in. */
export interface RunPlan {
  readonly engine: EngineRequest;
  readonly load: LoadSpec;
  /** Per-request bounds (goodput). */
  readonly slo?: SloBounds;
  /** Percentile terms (`ttft-p99=800ms`), judged once against the run's distribution. */
  readonly sloPercentiles?: readonly SloTerm[];
  readonly prometheusPort?: number;
  /** A server that runs already: nothing is started, `engine` only records what is measured. */
  readonly target?: TargetPlan;
  /** How many times the benchmark runs (`--repeat`), each a full run of its own; 1 by default. */
  readonly repeat: number;
  /** How `--rate calibrated` became the load's rate, for the run's log. */
  readonly rateNote?: string;
}

/** `--slo`: its per-request bounds count goodput; its percentile terms are judged once per run. */
function readRunSlo(
  text: string | undefined,
  issues: OptionIssues,
): { slo?: SloBounds; sloPercentiles?: readonly SloTerm[] } {
  if (text === undefined) return {};
  const terms = readSlo(text, issues);
  if (!terms) return {};
  const bounds = requestBounds(terms);
  const percentiles = percentileTerms(terms);
  return {
    ...(Object.keys(bounds).length > 0 ? { slo: bounds } : {}),
    ...(percentiles.length > 0 ? { sloPercentiles: percentiles } : {}),
  };
}

/** The dataset to check: the spec's, or --dataset's even when other flags kept the spec from being built. */
function datasetOf(flags: RunFlags, load: LoadSpec | undefined): { path: string; format: 'jsonl' | 'sharegpt' } | null {
  if (load?.prompts?.kind === 'dataset') return load.prompts;
  if (load || flags.dataset === undefined || flags.loadFile !== undefined) return null;
  return { path: flags.dataset, format: flags.datasetFormat === 'sharegpt' ? 'sharegpt' : 'jsonl' };
}

/**
 * Builds the plan of `kitt run` from its flags over the effective config, reporting every problem
 * at once (one USAGE error, one line per problem) before any engine starts: the engine request and
 * its limits, the load spec, the SLO, the export port, and the dataset, which is read and parsed
 * here. Config values arrive validated and typed; only flags are parsed. With --target (or
 * run.target) no engine is planned: every flag that would launch one is a problem of its own.
 */
export async function planRun(
  flags: RunFlags,
  config: KittConfig,
  context: { readonly runId: string; readonly env?: NodeJS.ProcessEnv },
): Promise<RunPlan> {
  const issues = new OptionIssues();
  const read = flagValues(issues);
  const planned = readEngineOrTarget(flags, config, context, issues);
  const kind = flags.load ?? config.run.load.kind;
  // a load that takes no rate gets its own problem from the load's reading (--rate applies to …)
  const calibrated =
    flags.rate === CALIBRATED && (kind === 'constant-rate' || kind === 'poisson')
      ? readCalibratedRate(flags, config, planned, issues)
      : undefined;
  // without a calibrated rate the problem is already in the issues: a stand-in rate keeps the load's
  // own reading from reporting a missing --rate a second time
  const rate = flags.rate === CALIBRATED ? String(calibrated?.requestsPerS ?? 1) : flags.rate;
  const load = readLoadSpec({ ...flags, rate }, config.run.load, issues);
  const slo = readRunSlo(flags.slo, issues);
  const prometheusPort = read.positiveInt('--prometheus-port', flags.prometheusPort, '9464');
  if (prometheusPort !== undefined && prometheusPort > 65535) {
    issues.add(`--prometheus-port ${prometheusPort} is not a TCP port`, 'use a port between 1 and 65535');
  }
  const repeat = flags.repeat === undefined ? 1 : read.positiveInt('--repeat', flags.repeat, '3');
  if (repeat !== undefined && repeat > MAX_REPEATS) {
    issues.add(`--repeat ${repeat} is more than ${MAX_REPEATS} runs`, `use --repeat ${MAX_REPEATS} or fewer`);
  }
  const dataset = datasetOf(flags, load);
  const datasetProblem = dataset ? await checkDataset(dataset.path, dataset.format) : null;
  if (datasetProblem) issues.addError(datasetProblem);
  issues.throwIfAny();
  return {
    // without --parallel, an engine gets as many slots as the load keeps in flight (at most 8):
    // with fewer, requests wait inside the engine and TTFT measures its queue rather than its prefill
    engine: plannedEngineRequest(planned, context.runId, () =>
      Math.max(1, Math.min(planLoad(load!).maxConcurrency ?? 4, 8)),
    ),
    load: load!,
    ...(planned.target ? { target: planned.target } : {}),
    ...slo,
    ...(prometheusPort !== undefined ? { prometheusPort } : {}),
    ...(calibrated ? { rateNote: `--rate calibrated: ${calibrated.note}` } : {}),
    repeat: repeat ?? 1,
  };
}

/** `--rate calibrated`: the rate `kitt calibrate` found for this engine and these limits. */
const CALIBRATED = 'calibrated';

/**
 * The calibrated request rate for the planned engine and limits (compute.rates), or a problem:
 * a target's limits are not kitt's to know, and an engine and limits never calibrated have none.
 */
function readCalibratedRate(
  flags: RunFlags,
  config: KittConfig,
  planned: EngineOrTarget,
  issues: OptionIssues,
): CalibratedRequestRate | undefined {
  if (planned.target) {
    issues.add(
      '--rate calibrated needs the engine and limits kitt starts: a --target server has no calibration here',
      'give --rate REQUESTS_PER_S',
    );
    return undefined;
  }
  if (!planned.engine) return undefined; // its problem is already in the issues
  const key = rateKey(planned.engine.engine, planned.engine.limits);
  const defaults = config.run.load;
  const synthetic = flags.dataset === undefined && flags.loadFile === undefined;
  const read = flagValues(new OptionIssues()); // bad values are reported by the load's own reading
  const request = synthetic
    ? {
        inputTokens: read.positiveInt('--prompt-tokens', flags.promptTokens) ?? defaults.promptTokens,
        outputTokens: read.positiveInt('--output-tokens', flags.outputTokens) ?? defaults.outputTokens,
      }
    : null;
  const rate = calibratedRequestRate(config.compute.rates, key, request);
  if (!rate) {
    issues.add(
      `--rate calibrated: no calibrated rate for ${key} (compute.rates["${key}"])`,
      `run kitt calibrate with the same engine and limits first, or give --rate REQUESTS_PER_S`,
    );
  }
  return rate;
}
