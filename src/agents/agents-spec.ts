import { flagValues } from '../core/flag-values.js';
import type { OptionIssues } from '../core/option-issues.js';
import {
  DEFAULT_GOALS,
  DEFAULT_SYSTEM_PROMPT,
  DEFAULT_TOOLS,
  type ScenarioFile,
  type ScenarioTool,
} from './scenario.js';

/** One simulated tool: what the model is told, and the median of its seeded latency. */
export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly latencyMs: number;
}

/** When agents stop: after a number of steps each, or when the duration is over (steps in flight finish). */
export type AgentsStop =
  | { readonly kind: 'steps'; readonly steps: number }
  | { readonly kind: 'duration'; readonly durationMs: number };

/** How thinks are paced: a token bucket in tokens/s, the calibrated rate, calibration first, or none. */
export type RateChoice =
  | { readonly kind: 'fixed'; readonly tokensPerS: number }
  | { readonly kind: 'calibrated' }
  | { readonly kind: 'auto' }
  | { readonly kind: 'off' };

/** A validated agents run: every value checked, every default filled in. */
export interface AgentsSpec {
  /** Memories belong to a scenario: runs of the same scenario recall each other's. */
  readonly scenario: string;
  readonly agents: number;
  readonly stop: AgentsStop;
  /** `thinks:acts`: each think acts with probability acts/thinks (seeded). */
  readonly mix: { readonly thinks: number; readonly acts: number };
  readonly contextLimit: number;
  readonly maxTokens: number;
  readonly seed: number;
  readonly rate: RateChoice;
  /** Optional budget of each agent, tokens/s, on top of the global bucket. */
  readonly agentTokensPerS: number | undefined;
  /** `--max-contexts N`: thinks in flight at most, over compute.maxContexts; undefined: the calibrated cap, if any. */
  readonly maxContexts: number | undefined;
  readonly topK: number;
  readonly systemPrompt: string;
  readonly goals: readonly string[];
  readonly tools: readonly ToolSpec[];
}

/** The flags of `kitt agents` that shape the simulation, as commander hands them over (strings). */
export interface AgentsFlags {
  readonly agents?: string;
  readonly steps?: string;
  readonly duration?: string;
  readonly mix?: string;
  readonly toolLatency?: string;
  readonly contextLimit?: string;
  readonly maxTokens?: string;
  readonly seed?: string;
  readonly rate?: string;
  readonly agentRate?: string;
  readonly topK?: string;
  readonly maxContexts?: string;
}

export const AGENTS_DEFAULTS = {
  agents: 2,
  steps: 3,
  mix: '1:1',
  toolLatencyMs: 120,
  contextLimit: 1024,
  maxTokens: 24,
  seed: 0,
  topK: 3,
  scenario: 'default',
} as const;

/** The most agents one run may start: each holds a conversation and a connection. */
export const MAX_AGENTS = 256;

/** A scenario value as flag text, so one grammar reads both. */
const asText = (value: string | number | undefined): string | undefined =>
  value === undefined ? undefined : String(value);

/**
 * Reads the flags over the scenario file into a spec, every problem into `issues`; undefined when
 * there was one. A flag overrides the file's value of the same name.
 */
export function readAgentsSpec(
  flags: AgentsFlags,
  file: ScenarioFile | undefined,
  fileName: string | undefined,
  issues: OptionIssues,
): AgentsSpec | undefined {
  const before = issues.list.length;
  const read = flagValues(issues);
  const scenario = file ?? {};
  const agents = read.positiveInt('--agents', flags.agents ?? asText(scenario.agents), '4') ?? AGENTS_DEFAULTS.agents;
  if (agents > MAX_AGENTS)
    issues.add(`--agents ${agents} is more than ${MAX_AGENTS}`, `use --agents ${MAX_AGENTS} or fewer`);
  const stop = readStop(flags, scenario, issues);
  const mix = readMix(flags.mix ?? scenario.mix ?? AGENTS_DEFAULTS.mix, issues);
  const toolLatencyMs =
    read.durationMs('--tool-latency', flags.toolLatency ?? asText(scenario.toolLatency), 'ms') ??
    AGENTS_DEFAULTS.toolLatencyMs;
  const contextLimit =
    read.positiveInt('--context-limit', flags.contextLimit ?? asText(scenario.contextLimit), '2048') ??
    AGENTS_DEFAULTS.contextLimit;
  const maxTokens =
    read.positiveInt('--max-tokens', flags.maxTokens ?? asText(scenario.maxTokens), '64') ?? AGENTS_DEFAULTS.maxTokens;
  if (maxTokens >= contextLimit) {
    issues.add(
      `--max-tokens ${maxTokens} leaves no room in --context-limit ${contextLimit}`,
      'give a context limit well above the answer length, e.g. --context-limit 2048 --max-tokens 64',
    );
  }
  const seed = read.integer('--seed', flags.seed ?? asText(scenario.seed), '7') ?? AGENTS_DEFAULTS.seed;
  const rate = readRate(flags.rate ?? asText(scenario.rate), issues);
  const agentTokensPerS = read.positiveNumber('--agent-rate', flags.agentRate ?? asText(scenario.agentRate), '50');
  const maxContexts = read.positiveInt('--max-contexts', flags.maxContexts ?? asText(scenario.maxContexts), '4');
  const topK = read.count('--top-k', flags.topK ?? asText(scenario.topK), '3') ?? AGENTS_DEFAULTS.topK;
  const tools = readTools(scenario.tools, toolLatencyMs, issues);
  if (issues.list.length > before || !stop || !mix || !rate || !tools) return undefined;
  return {
    scenario: scenario.name ?? fileName ?? AGENTS_DEFAULTS.scenario,
    agents,
    stop,
    mix,
    contextLimit,
    maxTokens,
    seed,
    rate,
    agentTokensPerS,
    maxContexts,
    topK,
    systemPrompt: scenario.systemPrompt ?? DEFAULT_SYSTEM_PROMPT,
    goals: scenario.goals ?? DEFAULT_GOALS,
    tools,
  };
}

function readStop(flags: AgentsFlags, scenario: ScenarioFile, issues: OptionIssues): AgentsStop | undefined {
  const read = flagValues(issues);
  // a flag replaces the file's stop rule whole: --duration on the command line beats steps in the file
  const fromFlags = flags.steps !== undefined || flags.duration !== undefined;
  const stepsText = fromFlags ? flags.steps : asText(scenario.steps);
  const durationText = fromFlags ? flags.duration : asText(scenario.duration);
  if (stepsText !== undefined && durationText !== undefined) {
    return issues.add('--steps and --duration both set when agents stop', 'give one: --steps 10 or --duration 2m');
  }
  if (durationText !== undefined) {
    const durationMs = read.durationMs('--duration', durationText, 's');
    return durationMs === undefined ? undefined : { kind: 'duration', durationMs };
  }
  const steps = stepsText === undefined ? AGENTS_DEFAULTS.steps : read.positiveInt('--steps', stepsText, '10');
  return steps === undefined ? undefined : { kind: 'steps', steps };
}

/** `1:1`, `3:1`: thinks per acts; an act needs the think that chose its tool, so acts ≤ thinks. */
export function readMix(text: string, issues: OptionIssues): AgentsSpec['mix'] | undefined {
  const match = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(text);
  const thinks = Number(match?.[1]);
  const acts = Number(match?.[2]);
  if (!match || thinks < 1) {
    return issues.add(`--mix "${text}" is not thinks:acts`, 'write e.g. --mix 1:1 (every think acts) or --mix 3:1');
  }
  if (acts > thinks) {
    return issues.add(
      `--mix ${text} asks for more acts than thinks`,
      'each act follows the think that chose it: e.g. --mix 2:1',
    );
  }
  return { thinks, acts };
}

/** `--rate 300` (tokens/s), `calibrated`, `auto` or `off`. */
export function readRate(text: string | undefined, issues: OptionIssues): RateChoice | undefined {
  if (text === undefined || text === 'calibrated') return { kind: 'calibrated' };
  if (text === 'auto') return { kind: 'auto' };
  if (text === 'off') return { kind: 'off' };
  const tokensPerS = text.trim() === '' ? Number.NaN : Number(text);
  if (!(Number.isFinite(tokensPerS) && tokensPerS > 0)) {
    return issues.add(
      `--rate must be tokens/s above 0, calibrated, auto or off, got "${text}"`,
      'e.g. --rate 300 (prompt + output tokens per second), or --rate calibrated',
    );
  }
  return { kind: 'fixed', tokensPerS };
}

function readTools(
  tools: readonly ScenarioTool[] | undefined,
  toolLatencyMs: number,
  issues: OptionIssues,
): ToolSpec[] | undefined {
  if (tools === undefined) {
    return DEFAULT_TOOLS.map((tool) => ({ ...tool, latencyMs: tool.latencyMs ?? toolLatencyMs }));
  }
  const read = flagValues(issues);
  const specs = tools.map((tool) => {
    const latencyMs =
      tool.latency === undefined
        ? toolLatencyMs
        : read.durationMs(`tools ${tool.name} latency`, String(tool.latency), 'ms');
    return latencyMs === undefined ? undefined : { name: tool.name, description: tool.description, latencyMs };
  });
  return specs.every((spec) => spec !== undefined) ? (specs as ToolSpec[]) : undefined;
}
