import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ToolSpec } from './agents-spec.js';
import { parseToolCall, seededToolCall, stepActs, TOOL_LATENCY_SIGMA, toolLatencyMs } from './tool-choice.js';

const tools: ToolSpec[] = [
  { name: 'search', description: 's', latencyMs: 100 },
  { name: 'read', description: 'r', latencyMs: 40 },
];

test('a tool call is parsed from the API field, from JSON in the text, or from name(argument)', () => {
  assert.deepEqual(parseToolCall('', [{ name: 'read', arguments: '{"query":"the report"}' }], tools), {
    tool: 'read',
    argument: 'the report',
    source: 'model',
  });
  assert.deepEqual(parseToolCall('ok {"tool": "search", "arguments": {"query": "cheap flights"}} done', [], tools), {
    tool: 'search',
    argument: 'cheap flights',
    source: 'model',
  });
  assert.deepEqual(parseToolCall('I will search("oslo hotels") now', [], tools), {
    tool: 'search',
    argument: 'oslo hotels',
    source: 'model',
  });
});

test('an answer naming no known tool gives no call, so the seeded choice stands in', () => {
  assert.equal(
    parseToolCall('zq vor lentil brave(12) {"tool": "fly"}', [{ name: 'fly', arguments: '{}' }], tools),
    undefined,
  );
});

test('the seeded choice, the mix and the latency are the same for the same seed, agent and step', () => {
  const a = seededToolCall(7, 2, 5, tools, 'find the cheapest flight from Lisbon to Oslo');
  const b = seededToolCall(7, 2, 5, tools, 'find the cheapest flight from Lisbon to Oslo');
  assert.deepEqual(a, b);
  assert.equal(a.source, 'seeded');
  const calls = Array.from({ length: 40 }, (_, step) => seededToolCall(7, 2, step, tools, 'x y z').tool);
  assert.ok(new Set(calls).size === 2, 'both tools are chosen over 40 steps');
  assert.equal(toolLatencyMs(tools[0]!, 7, 2, 5), toolLatencyMs(tools[0]!, 7, 2, 5));
  assert.notEqual(toolLatencyMs(tools[0]!, 7, 2, 5), toolLatencyMs(tools[0]!, 7, 2, 6));
});

test('latencies are log-normal around the tool median and the mix acts acts/thinks of the steps', () => {
  const samples = Array.from({ length: 4000 }, (_, step) => toolLatencyMs(tools[0]!, 1, 1, step)).sort((x, y) => x - y);
  const median = samples[2000]!;
  assert.ok(Math.abs(median / 100 - 1) < 0.05, `median ${median}`);
  const logs = samples.map((v) => Math.log(v / 100));
  const sd = Math.sqrt(logs.reduce((sum, v) => sum + v * v, 0) / logs.length);
  assert.ok(Math.abs(sd / TOOL_LATENCY_SIGMA - 1) < 0.05, `sigma ${sd}`);
  const acts = Array.from({ length: 3000 }, (_, step) => stepActs({ thinks: 3, acts: 1 }, 1, 1, step)).filter(
    Boolean,
  ).length;
  assert.ok(Math.abs(acts / 3000 - 1 / 3) < 0.03, `acts ${acts}`);
  assert.equal(stepActs({ thinks: 1, acts: 1 }, 1, 1, 0), true);
  assert.equal(stepActs({ thinks: 1, acts: 0 }, 1, 1, 0), false);
});
