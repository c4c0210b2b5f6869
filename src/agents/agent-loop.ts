import type { Clock } from '../core/clock.js';
import { acquire, type LimiterReservation, type RateLimiter } from '../load/token-bucket.js';
import type { AgentsSpec, ToolSpec } from './agents-spec.js';
import type { ContextSlots } from './context-slots.js';
import { type AgentMessage, Conversation } from './conversation.js';
import { type StepRecord, type ThinkOutcome, thinkTokens } from './step-record.js';
import { parseToolCall, seededToolCall, stepActs, type ToolCall, toolLatencyMs, toolResult } from './tool-choice.js';

/** What an agent is doing now, for the terminal. */
export type AgentPhase = 'recalling' | 'waiting' | 'thinking' | 'acting' | 'remembering' | 'done';

/** A memory handed back by recall, best first. */
export interface RecalledMemory {
  readonly text: string;
  readonly score: number;
}

/** The outside an agent needs; the use case wires real ones, tests fakes. */
export interface AgentPorts {
  readonly clock: Clock;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  embed(text: string, signal: AbortSignal): Promise<Float32Array>;
  recall(agent: number, vector: Float32Array, k: number): Promise<readonly RecalledMemory[]>;
  remember(
    agent: number,
    memory: { readonly step: number; readonly text: string; readonly vector: Float32Array },
  ): Promise<void>;
  think(messages: readonly AgentMessage[], signal: AbortSignal): Promise<ThinkOutcome>;
  /** The bucket(s) this agent's thinks wait for; absent: unpaced. */
  readonly limiter?: RateLimiter;
  /** The cap on thinks in flight across agents (compute.maxContexts); absent: uncapped. */
  readonly slots?: ContextSlots;
  onPhase?(agent: number, phase: AgentPhase): void;
  onStep(record: StepRecord): void;
}

export interface AgentIdentity {
  /** 1-based. */
  readonly agent: number;
  readonly goal: string;
}

/** The goal of agent n (1-based): the scenario's goals in turn. */
export function goalOf(spec: Pick<AgentsSpec, 'goals'>, agent: number): string {
  return spec.goals[(agent - 1) % spec.goals.length]!;
}

/** The system message: the scenario's prompt, the tools, the goal and what was recalled. */
export function systemMessage(spec: AgentsSpec, goal: string, memories: readonly RecalledMemory[]): string {
  const tools = spec.tools.map((tool) => `- ${tool.name}: ${tool.description}`).join('\n');
  const recalled = memories.length === 0 ? 'nothing yet' : memories.map((memory) => `- ${memory.text}`).join('\n');
  return `${spec.systemPrompt}\n\nTools:\n${tools}\n\nYour goal: ${goal}\n\nWhat you remember:\n${recalled}`;
}

/**
 * Runs one agent until the spec's stop rule or the signal: each step recalls, waits for the bucket,
 * thinks, acts (a simulated tool with seeded latency) and remembers. A failed think is recorded
 * with its error and a seeded tool choice stands in, so one bad answer never ends an agent; the
 * signal ends it after the step in flight.
 */
export async function runAgent(
  identity: AgentIdentity,
  spec: AgentsSpec,
  ports: AgentPorts,
  context: { readonly signal: AbortSignal; readonly deadlineMs: number | undefined },
): Promise<void> {
  const conversation = new Conversation(spec.contextLimit, spec.maxTokens);
  let lastResult = '';
  for (let step = 0; ; step++) {
    if (context.signal.aborted) break;
    if (spec.stop.kind === 'steps' && step >= spec.stop.steps) break;
    if (context.deadlineMs !== undefined && ports.clock.nowMs() >= context.deadlineMs) break;
    lastResult = await runStep(identity, step, spec, ports, conversation, lastResult, context.signal);
  }
  ports.onPhase?.(identity.agent, 'done');
}

/** One step; returns the tool result the next step's recall query carries. */
async function runStep(
  identity: AgentIdentity,
  step: number,
  spec: AgentsSpec,
  ports: AgentPorts,
  conversation: Conversation,
  lastResult: string,
  signal: AbortSignal,
): Promise<string> {
  const { agent, goal } = identity;
  const { clock } = ports;
  const startedAtMs = clock.nowMs();
  ports.onPhase?.(agent, 'recalling');
  const memories = await ports.recall(agent, await ports.embed(`${goal} ${lastResult}`.trim(), signal), spec.topK);
  const recalledAtMs = clock.nowMs();
  const prompt = `Step ${step + 1}. Choose the next tool call towards your goal.`;
  const request = conversation.requestFor(systemMessage(spec, goal, memories), prompt);
  const reserved = request.estimatedTokens + spec.maxTokens;
  ports.onPhase?.(agent, 'waiting');
  const reservedAtMs = clock.nowMs();
  const reservation = ports.limiter ? await acquireOrNull(ports, reserved, signal) : null;
  const releasedAtMs = clock.nowMs();
  // a reservation the bucket covered at once waited for nothing: the microtask hop is not a wait
  const bucketWaitMs = reservation && reservation.readyAtMs > reservedAtMs ? releasedAtMs - reservedAtMs : 0;
  // the bucket first, then a slot: a think holds a context only once its tokens are granted
  const slotAskedAtMs = clock.nowMs();
  const release = ports.slots ? await ports.slots.acquire(signal).catch(() => null) : null;
  const contextWaitMs = release ? clock.nowMs() - slotAskedAtMs : 0;
  ports.onPhase?.(agent, 'thinking');
  let think: ThinkOutcome;
  try {
    think = await ports.think(request.messages, signal);
  } finally {
    release?.();
  }
  if (think.promptTokens !== null) conversation.observe(request.messages, think.promptTokens);
  const charged = thinkTokens(think, think.error ? 0 : request.estimatedTokens);
  if (reservation) ports.limiter!.settle(reservation, charged);
  const call = chooseCall(think, spec, agent, step, goal);
  const acts = stepActs(spec.mix, spec.seed, agent, step);
  let act: StepRecord['act'] = null;
  const answer: AgentMessage = { role: 'assistant', content: answerText(think) };
  const turn: AgentMessage[] = [{ role: 'user', content: prompt }, answer];
  let result = '';
  if (acts) {
    ports.onPhase?.(agent, 'acting');
    const actStartMs = clock.nowMs();
    await ports.sleep(toolLatencyMs(toolOf(spec.tools, call), spec.seed, agent, step), signal).catch(() => undefined);
    result = toolResult(call, step);
    act = { ...call, ms: clock.nowMs() - actStartMs };
    turn.push({ role: 'user', content: `Result: ${result}` });
  }
  conversation.append({ step, messages: turn });
  ports.onPhase?.(agent, 'remembering');
  const rememberStartMs = clock.nowMs();
  const memoryText = act ? `step ${step + 1}: ${result}` : `step ${step + 1}: thought about ${goal}`;
  await ports.remember(agent, { step, text: memoryText, vector: await ports.embed(memoryText, signal) });
  const endedAtMs = clock.nowMs();
  ports.onStep({
    agent,
    step,
    startedAtMs,
    endedAtMs,
    recall: { ms: recalledAtMs - startedAtMs, hits: memories.length, bestScore: memories[0]?.score ?? null },
    bucketWaitMs,
    bucketTokens: reservation ? { reserved, charged } : null,
    contextWaitMs,
    think: {
      sentAtMs: think.sentAtMs,
      ttftMs: think.firstTokenAtMs === null ? null : think.firstTokenAtMs - think.sentAtMs,
      e2eMs: think.endAtMs - think.sentAtMs,
      promptTokens: think.promptTokens,
      outputTokens: think.outputTokens,
      cachedTokens: think.cachedTokens,
      error: think.error,
      answer: answer.content.slice(0, ANSWER_SNIPPET_CHARS),
    },
    act,
    remember: { ms: endedAtMs - rememberStartMs },
    context: {
      estimatedTokens: request.estimatedTokens,
      turns: conversation.turnCount,
      droppedTurns: request.droppedNow,
    },
  });
  return result;
}

/** The bucket's reservation once released; null when the signal ended the wait (the think then runs unpaced, and is aborted too). */
async function acquireOrNull(ports: AgentPorts, cost: number, signal: AbortSignal): Promise<LimiterReservation | null> {
  try {
    return await acquire(ports.limiter!, cost, { signal, clock: ports.clock, sleep: ports.sleep });
  } catch {
    return null;
  }
}

function chooseCall(think: ThinkOutcome, spec: AgentsSpec, agent: number, step: number, goal: string): ToolCall {
  return (
    (think.error ? undefined : parseToolCall(think.text, think.toolCalls, spec.tools)) ??
    seededToolCall(spec.seed, agent, step, spec.tools, goal)
  );
}

function toolOf(tools: readonly ToolSpec[], call: ToolCall): ToolSpec {
  return tools.find((tool) => tool.name === call.tool) ?? tools[0]!;
}

const ANSWER_SNIPPET_CHARS = 160;

/** What the conversation keeps of an answer: its text (a tool call it made, spelt out), at most 400 characters. */
function answerText(think: ThinkOutcome): string {
  const calls = think.toolCalls.map((call) => `${call.name}(${call.arguments})`).join(' ');
  const text = `${think.text}${calls ? ` ${calls}` : ''}`.trim();
  return (text || '(no answer)').slice(0, 400);
}
