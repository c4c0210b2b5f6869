import { seededRandom, standardNormal } from '../load/seeded-random.js';
import type { ToolSpec } from './agents-spec.js';

/** A tool call an agent acts on, and where it came from. */
export interface ToolCall {
  readonly tool: string;
  /** The call's argument (`query`), short text. */
  readonly argument: string;
  /**
   * `model`: parsed from the engine's answer (an OpenAI tool call, `{"tool": …}` JSON, or `name(…)`);
   * `seeded`: the answer named no known tool (random-weight models answer nonsense), so a seeded
   * choice stood in: the same seed, agent and step always give the same call.
   */
  readonly source: 'model' | 'seeded';
}

/** The OpenAI `tools` field describing the catalog: each a function with one string argument. */
export function toolSchemas(tools: readonly ToolSpec[]): unknown[] {
  return tools.map((tool) => ({
    type: 'function',
    function: {
      name: tool.name,
      description: tool.description,
      parameters: {
        type: 'object',
        properties: { query: { type: 'string', description: 'what to do it with' } },
        required: ['query'],
      },
    },
  }));
}

/** The tool calls an OpenAI-style answer carries (`choices[0].message.tool_calls`, streamed or not). */
export interface AnsweredToolCall {
  readonly name: string;
  readonly arguments: string;
}

const MAX_ARGUMENT_CHARS = 80;

/**
 * The first call of a known tool in the answer: an API tool call, else `{"tool": "name", …}` JSON
 * in the text, else `name(argument)`. Undefined when the answer names no tool of the catalog.
 */
export function parseToolCall(
  text: string,
  answered: readonly AnsweredToolCall[],
  tools: readonly ToolSpec[],
): ToolCall | undefined {
  const known = new Set(tools.map((tool) => tool.name));
  for (const call of answered) {
    if (known.has(call.name)) return { tool: call.name, argument: argumentOf(call.arguments), source: 'model' };
  }
  for (const match of text.matchAll(/\{[^{}]*"tool"\s*:\s*"([a-z][a-z0-9_]*)"[^{}]*(?:\{[^{}]*\}[^{}]*)?\}/g)) {
    if (known.has(match[1]!)) return { tool: match[1]!, argument: argumentOf(match[0]), source: 'model' };
  }
  for (const match of text.matchAll(/\b([a-z][a-z0-9_]*)\(([^()]*)\)/g)) {
    if (known.has(match[1]!))
      return { tool: match[1]!, argument: clip(match[2]!.replace(/^["']|["']$/g, '')), source: 'model' };
  }
  return undefined;
}

/** The `query` (or first string) of a JSON argument object, else the text itself, clipped. */
function argumentOf(json: string): string {
  try {
    const parsed = JSON.parse(json) as Record<string, unknown>;
    const args = (
      typeof parsed.arguments === 'object' && parsed.arguments !== null ? parsed.arguments : parsed
    ) as Record<string, unknown>;
    const value = typeof args.query === 'string' ? args.query : Object.values(args).find((v) => typeof v === 'string');
    return clip(typeof value === 'string' ? value : '');
  } catch {
    return clip(json);
  }
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_ARGUMENT_CHARS ? `${flat.slice(0, MAX_ARGUMENT_CHARS - 1)}…` : flat;
}

/** FNV-1a over the parts: one stable 32-bit seed per (run seed, agent, step, purpose). */
export function stepSeed(seed: number, agent: number, step: number, purpose: string): number {
  let hash = 0x811c9dc5;
  const text = `${seed}/${agent}/${step}/${purpose}`;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/** The call that stands in when the answer names no tool: a tool and a few words of the goal, seeded. */
export function seededToolCall(
  seed: number,
  agent: number,
  step: number,
  tools: readonly ToolSpec[],
  goal: string,
): ToolCall {
  const random = seededRandom(stepSeed(seed, agent, step, 'tool'));
  const tool = tools[Math.floor(random.next() * tools.length)]!;
  const words = goal.split(/\s+/).filter((word) => word.length > 3);
  const start = Math.floor(random.next() * Math.max(1, words.length - 2));
  return { tool: tool.name, argument: clip(words.slice(start, start + 3).join(' ') || goal), source: 'seeded' };
}

/** Whether the step acts after thinking: with probability acts/thinks, seeded per step. */
export function stepActs(mix: { thinks: number; acts: number }, seed: number, agent: number, step: number): boolean {
  if (mix.acts >= mix.thinks) return true;
  if (mix.acts === 0) return false;
  return seededRandom(stepSeed(seed, agent, step, 'mix')).next() < mix.acts / mix.thinks;
}

/**
 * Spread of the simulated tool latency: log-normal with σ = 0.5 around the tool's median, so most
 * calls land within 0.4–2.7× the median (±2σ) and a few take much longer, as real tools do.
 */
export const TOOL_LATENCY_SIGMA = 0.5;

/** The latency of one simulated call, seeded per (seed, agent, step): median · e^(σ·z). */
export function toolLatencyMs(tool: ToolSpec, seed: number, agent: number, step: number): number {
  if (tool.latencyMs === 0) return 0;
  const z = standardNormal(seededRandom(stepSeed(seed, agent, step, 'latency')));
  return tool.latencyMs * Math.exp(TOOL_LATENCY_SIGMA * z);
}

/** What the simulated tool answers: a short, deterministic line the conversation carries on. */
export function toolResult(call: ToolCall, step: number): string {
  return `${call.tool}(${call.argument}) returned result ${step + 1}: ${call.argument.split(' ').reverse().join(' ')}`;
}
