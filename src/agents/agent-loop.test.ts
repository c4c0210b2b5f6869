import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OptionIssues } from '../core/option-issues.js';
import { TokenBucket } from '../load/token-bucket.js';
import { ManualClock } from '../testing/manual-clock.js';
import { type AgentPorts, runAgent } from './agent-loop.js';
import { readAgentsSpec } from './agents-spec.js';
import type { AgentMessage } from './conversation.js';
import { hashEmbedding } from './hash-embedding.js';
import type { StepRecord, ThinkOutcome } from './step-record.js';
import { summarizeAgents } from './summarize-agents.js';

const specWith = (flags: Parameters<typeof readAgentsSpec>[0]) => {
  const spec = readAgentsSpec(flags, undefined, undefined, new OptionIssues());
  assert.ok(spec);
  return spec;
};

/** One agent on a hand-moved clock: sleeping and thinking advance it, so time is exact. */
function fakePorts(
  clock: ManualClock,
  think: (messages: readonly AgentMessage[]) => Omit<ThinkOutcome, 'sentAtMs' | 'endAtMs' | 'firstTokenAtMs'>,
) {
  const records: StepRecord[] = [];
  const memories: Array<{ agent: number; text: string; vector: Float32Array }> = [];
  const ports: AgentPorts = {
    clock,
    sleep: async (ms) => clock.advance(Math.max(0, ms)),
    embed: async (text) => hashEmbedding(text),
    recall: async (agent, vector, k) =>
      memories
        .filter((m) => m.agent === agent)
        .slice(-k)
        .map((m) => ({ text: m.text, score: vector.length > 0 ? 1 : 0 })),
    remember: async (agent, memory) => {
      memories.push({ agent, text: memory.text, vector: memory.vector });
    },
    think: async (messages) => {
      const sentAtMs = clock.nowMs();
      clock.advance(10);
      const firstTokenAtMs = clock.nowMs();
      clock.advance(40);
      return { ...think(messages), sentAtMs, firstTokenAtMs, endAtMs: clock.nowMs() };
    },
    onStep: (record) => records.push(record),
  };
  return { ports, records, memories };
}

const chars = (messages: readonly AgentMessage[]) => messages.reduce((sum, m) => sum + m.content.length, 0);

test('every step records its recall, think, act and remember, and recalls what earlier steps remembered', async () => {
  const clock = new ManualClock(0);
  const { ports, records, memories } = fakePorts(clock, (messages) => ({
    promptTokens: Math.ceil(chars(messages) / 3),
    outputTokens: 24,
    cachedTokens: null,
    text: 'qz lorem search("oslo flights")',
    toolCalls: [],
    error: null,
  }));
  const spec = specWith({ steps: '4', toolLatency: '100ms' });
  await runAgent({ agent: 1, goal: 'find a flight' }, spec, ports, {
    signal: new AbortController().signal,
    deadlineMs: undefined,
  });
  assert.equal(records.length, 4);
  assert.equal(memories.length, 4);
  assert.deepEqual(
    records.map((r) => r.recall.hits),
    [0, 1, 2, 3],
  );
  for (const r of records) {
    assert.equal(r.think.e2eMs, 50);
    assert.equal(r.think.ttftMs, 10);
    assert.deepEqual(r.act && { tool: r.act.tool, argument: r.act.argument, source: r.act.source }, {
      tool: 'search',
      argument: 'oslo flights',
      source: 'model',
    });
    assert.ok(r.act!.ms > 0);
  }
  assert.ok(records[3]!.think.promptTokens! > records[0]!.think.promptTokens!, 'the context grows');
});

test('a failed think is recorded with its error, a seeded call stands in and the agent goes on', async () => {
  const clock = new ManualClock(0);
  let calls = 0;
  const { ports, records } = fakePorts(clock, () => ({
    promptTokens: null,
    outputTokens: 0,
    cachedTokens: null,
    text: '',
    toolCalls: [],
    error: calls++ === 0 ? { kind: 'http-status', message: 'HTTP 500' } : null,
  }));
  await runAgent({ agent: 2, goal: 'plan a dinner for six' }, specWith({ steps: '2' }), ports, {
    signal: new AbortController().signal,
    deadlineMs: undefined,
  });
  assert.equal(records.length, 2);
  assert.equal(records[0]!.think.error?.kind, 'http-status');
  assert.equal(records[0]!.act?.source, 'seeded');
  assert.equal(records[1]!.think.error, null);
});

test('the bucket paces one agent to its rate: measured within 1 % on an exact clock, every wait recorded', async () => {
  const clock = new ManualClock(0);
  const bucket = new TokenBucket({ ratePerS: 2000, startFull: false, clock });
  const { ports, records } = fakePorts(clock, (messages) => ({
    promptTokens: Math.ceil(chars(messages) / 3.5),
    outputTokens: 24,
    cachedTokens: null,
    text: '',
    toolCalls: [],
    error: null,
  }));
  await runAgent(
    { agent: 1, goal: 'find a flight' },
    specWith({ steps: '30', toolLatency: '0', contextLimit: '4096' }),
    { ...ports, limiter: bucket },
    {
      signal: new AbortController().signal,
      deadlineMs: undefined,
    },
  );
  const metrics = summarizeAgents(records, { agents: 1, startMs: 0, endMs: clock.nowMs(), configuredTokensPerS: 2000 });
  assert.ok(metrics.bucket);
  assert.ok(Math.abs(metrics.bucket.relativeError!) < 0.01, `error ${metrics.bucket.relativeError}`);
  assert.ok(metrics.bucket.waitedShare > 0.9, `waited ${metrics.bucket.waitedShare}`);
  assert.equal(
    metrics.bucket.chargedTokens,
    records.reduce((s, r) => s + r.think.promptTokens! + r.think.outputTokens, 0),
  );
});

test('a duration stops the agent at the deadline, and a per-agent budget slows it below the global rate', async () => {
  const clock = new ManualClock(0);
  const global = new TokenBucket({ ratePerS: 100_000, startFull: false, clock });
  const own = new TokenBucket({ ratePerS: 1000, startFull: false, clock });
  const { AllBuckets } = await import('../load/token-bucket.js');
  const { ports, records } = fakePorts(clock, () => ({
    promptTokens: 176,
    outputTokens: 24,
    cachedTokens: null,
    text: '',
    toolCalls: [],
    error: null,
  }));
  await runAgent(
    { agent: 1, goal: 'g' },
    specWith({ duration: '2s', toolLatency: '0' }),
    { ...ports, limiter: new AllBuckets([global, own]) },
    {
      signal: new AbortController().signal,
      deadlineMs: 2000,
    },
  );
  // 200 tokens a step at 1000 tokens/s: one step per 200 ms (its 50 ms think inside the wait of the next)
  assert.ok(records.length >= 9 && records.length <= 11, `${records.length} steps`);
  assert.ok(records.every((r) => r.startedAtMs < 2000));
});
