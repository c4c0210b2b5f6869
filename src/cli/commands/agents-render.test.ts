import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StepRecord } from '../../agents/step-record.js';
import { AgentPhases, formatStepLine } from './agents-render.js';

const step: StepRecord = {
  agent: 3,
  step: 4,
  startedAtMs: 0,
  endedAtMs: 2_000,
  recall: { ms: 2, hits: 3, bestScore: 0.8 },
  bucketWaitMs: 300,
  bucketTokens: { reserved: 400, charged: 412 },
  contextWaitMs: 0,
  think: {
    sentAtMs: 302,
    ttftMs: 200,
    e2eMs: 1_800,
    promptTokens: 388,
    outputTokens: 24,
    cachedTokens: null,
    error: null,
    answer: 'zq',
  },
  act: { tool: 'search', argument: 'cheap flights', source: 'seeded', ms: 120 },
  remember: { ms: 1 },
  context: { estimatedTokens: 380, turns: 4, droppedTurns: 1 },
};

test("one log line per step, in the seed's shape: agent 3 think 412 tok 1.8 s → act search(…) 120 ms", () => {
  assert.equal(
    formatStepLine(step),
    'agent 3 step 5 think 412 tok 1.8 s → act search(cheap flights) 120 ms [seeded] · waited 300 ms · recalled 3 · dropped 1 turns',
  );
  assert.equal(
    formatStepLine({
      ...step,
      act: null,
      bucketWaitMs: 0,
      recall: { ...step.recall, hits: 0 },
      context: { ...step.context, droppedTurns: 0 },
    }),
    'agent 3 step 5 think 412 tok 1.8 s → no act',
  );
  assert.match(
    formatStepLine({ ...step, think: { ...step.think, error: { kind: 'timeout', message: 'x' } } }),
    /think failed \(timeout\) 1\.8 s/,
  );
});

test('the live line says who thinks, acts and waits', () => {
  const phases = new AgentPhases();
  phases.set(1, 'thinking');
  phases.set(2, 'acting');
  phases.set(3, 'thinking');
  phases.set(4, 'waiting');
  phases.set(5, 'done');
  assert.equal(phases.describe(), 'thinking 1,3 · acting 2 · waiting 4');
});
