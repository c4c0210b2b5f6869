import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type AgentsFlags, type AgentsSpec, readAgentsSpec } from '../../agents/agents-spec.js';
import { parseScenario, type ScenarioFile } from '../../agents/scenario.js';
import type { KittConfig } from '../../config/config-schema.js';
import { flagValues } from '../../core/flag-values.js';
import { OptionIssues } from '../../core/option-issues.js';
import type { EngineRequest } from '../../engines/engine.js';
import { readCpuBand } from '../shared/cpu-band-option.js';
import type { EngineFlags } from '../shared/engine-options.js';
import { plannedEngineRequest, readEngineOrTarget } from '../shared/engine-plan.js';
import type { TargetFlags, TargetPlan } from '../shared/target-options.js';
import { AGENTS_CALIBRATION_DEFAULTS, type AgentsCalibrationSettings } from './calibrate-agents.js';

/** The flags of `kitt agents`, as commander hands them over. */
export interface AgentsCommandFlags extends AgentsFlags, EngineFlags, TargetFlags {
  readonly scenario?: string;
  readonly resetMemory?: boolean;
  readonly timeout?: string;
  /** `--rate auto`: the agents' calibration windows. */
  readonly calibrateWindow?: string;
  readonly calibrateWindows?: string;
  readonly soak?: string;
  readonly targetCpu?: string;
}

/** An agents run, validated whole before any engine starts. */
export interface AgentsPlan {
  readonly spec: AgentsSpec;
  /** The engine to start, or (with a target) what is recorded about the server. */
  readonly engine: EngineRequest;
  readonly target?: TargetPlan;
  readonly resetMemory: boolean;
  /** Deadline of one think. */
  readonly timeoutMs: number;
  /** How `--rate auto` calibrates by the agents' own traffic. */
  readonly agentsCalibration: AgentsCalibrationSettings;
}

const DEFAULT_THINK_TIMEOUT_MS = 300_000;

/**
 * Builds the plan of `kitt agents` from its flags over the scenario file and the config, every
 * problem at once (one USAGE error) before anything starts. Without --parallel an engine kitt
 * starts gets one slot per agent (at most 8), so thinks wait in the bucket, not inside the engine.
 */
export function planAgents(
  flags: AgentsCommandFlags,
  config: KittConfig,
  context: { readonly runId: string; readonly env?: NodeJS.ProcessEnv },
): AgentsPlan {
  const issues = new OptionIssues();
  const file = flags.scenario === undefined ? undefined : readScenarioFile(flags.scenario, issues);
  const fileName = flags.scenario === undefined ? undefined : basename(flags.scenario, extname(flags.scenario));
  const spec = readAgentsSpec(flags, file, fileName, issues);
  const planned = readEngineOrTarget(flags, config, context, issues);
  const timeoutMs = flagValues(issues).durationMs('--timeout', flags.timeout, 's') ?? DEFAULT_THINK_TIMEOUT_MS;
  const agentsCalibration = readAgentsCalibration(flags, issues);
  issues.throwIfAny();
  const engine = plannedEngineRequest(planned, context.runId, () => Math.min(spec!.agents, 8));
  if (spec!.rate.kind === 'auto') checkAutoRate(engine, planned.target !== undefined, issues);
  issues.throwIfAny();
  return {
    spec: spec!,
    engine,
    ...(planned.target ? { target: planned.target } : {}),
    resetMemory: flags.resetMemory ?? false,
    timeoutMs,
    agentsCalibration,
  };
}

function readAgentsCalibration(flags: AgentsCommandFlags, issues: OptionIssues): AgentsCalibrationSettings {
  const values = flagValues(issues);
  const defaults = AGENTS_CALIBRATION_DEFAULTS;
  return {
    windowMs: values.durationMs('--calibrate-window', flags.calibrateWindow, 's') ?? defaults.windowMs,
    soakMs: values.durationMs('--soak', flags.soak, 's') ?? defaults.soakMs,
    maxWindows: values.positiveInt('--calibrate-windows', flags.calibrateWindows, '10') ?? defaults.maxWindows,
    cpuBand: (flags.targetCpu === undefined ? undefined : readCpuBand(flags.targetCpu, issues)) ?? defaults.cpuBand,
  };
}

/**
 * `--rate auto` calibrates first, as kitt calibrate does: a container kitt starts (--mode docker)
 * with both limits, since a calibrated rate belongs to an engine and its limits.
 */
function checkAutoRate(engine: EngineRequest, target: boolean, issues: OptionIssues): void {
  const where = target ? 'a --target server' : `${engine.engine} in ${engine.mode} mode`;
  if (target || engine.mode !== 'docker') {
    issues.add(
      `--rate auto calibrates a container kitt starts, not ${where}`,
      'give --rate N (tokens/s), or use --mode docker with --cpus and --memory',
    );
    return;
  }
  const missing = [
    engine.limits.cpus === undefined ? '--cpus' : '',
    engine.limits.memoryBytes === undefined ? '--memory' : '',
  ]
    .filter(Boolean)
    .join(' and ');
  if (missing)
    issues.add(
      `--rate auto calibrates under limits: it needs ${missing}`,
      'e.g. --cpus 1 --memory 2g, or give --rate N (tokens/s)',
    );
}

function readScenarioFile(path: string, issues: OptionIssues): ScenarioFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return issues.add(`scenario file ${path} cannot be read`, 'check the path given to --scenario');
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    return issues.add(
      `scenario file ${path} is not YAML or JSON: ${(error as Error).message.split('\n')[0]}`,
      'write the scenario as YAML or JSON (docs/agents.md has an example)',
    );
  }
  const { scenario, problems } = parseScenario(document);
  for (const problem of problems)
    issues.add(`scenario ${path}: ${problem}`, 'fix the file (docs/agents.md lists its fields)');
  return scenario;
}
