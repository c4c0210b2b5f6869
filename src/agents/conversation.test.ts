import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Conversation } from './conversation.js';

const turn = (step: number, chars: number) => ({
  step,
  messages: [
    { role: 'user' as const, content: `step ${step}` },
    { role: 'assistant' as const, content: 'x'.repeat(chars) },
  ],
});

test('the conversation grows until the next request would pass the limit, then drops its oldest turns', () => {
  const conversation = new Conversation(200, 20);
  for (let step = 0; step < 3; step++) conversation.append(turn(step, 200));
  const request = conversation.requestFor('system', 'next');
  // 4 characters per token: each turn is ~52 text + 8 template tokens; 200 - 20 leaves room for two
  assert.equal(request.droppedNow, 1);
  assert.equal(conversation.turnCount, 2);
  assert.equal(request.messages[1]!.content, 'step 1');
  assert.ok(request.estimatedTokens + 20 <= 200);
  assert.equal(conversation.dropped, 1);
});

test('the engine counts teach the estimate its tokens per character', () => {
  const conversation = new Conversation(10_000, 20);
  const messages = [{ role: 'user' as const, content: 'y'.repeat(1000) }];
  const before = conversation.estimateTokens(messages);
  conversation.observe(messages, 504);
  assert.equal(before, 254);
  assert.equal(conversation.estimateTokens(messages), 504);
});

test('the current step is always sent, even alone over the limit', () => {
  const conversation = new Conversation(50, 20);
  conversation.append(turn(0, 400));
  const request = conversation.requestFor('s'.repeat(400), 'next');
  assert.equal(conversation.turnCount, 0);
  assert.equal(request.messages.length, 2);
});
