import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LoadApi, LoadTarget } from './load-target.js';
import { bodyObject, buildRequestBody, type PreparedPrompt, promptText } from './request-body.js';

const apis: LoadApi[] = ['openai-chat', 'openai-completions', 'ollama-chat', 'ollama-generate'];
const prompts: PreparedPrompt[] = [
  { text: 'plain words', inputTokens: 2, maxTokens: 8 },
  { text: 'quotes " and \\ backslash, a tab\t, a newline\n, é, 漢字, 🙂 and \u0001', inputTokens: null, maxTokens: 3 },
  {
    text: 'head marker tail',
    inputTokens: 20,
    maxTokens: 5,
    bust: { head: 'Say "hi"\n', tail: ' then stop \\ please' },
  },
];

test('every body is the JSON of its object, whatever the API, options and prompt text', () => {
  for (const api of apis) {
    for (const stream of [true, false]) {
      for (const usage of ['final', 'continuous'] as const) {
        const target: LoadTarget = {
          baseUrl: 'http://127.0.0.1:1',
          api,
          model: 'm "quoted"',
          stream,
          supports: { ignoreEos: usage === 'final', minTokens: usage === 'continuous', tokenize: false, usage },
        };
        for (const prompt of prompts) {
          for (const id of [0, 1, 12_345]) {
            const body = buildRequestBody(target, prompt, id);
            assert.deepEqual(JSON.parse(body), bodyObject(target, prompt, promptText(prompt, id)), `${api} ${id}`);
          }
        }
      }
    }
  }
});

test('cache busting puts a marker unique to the request id into the text', () => {
  const target: LoadTarget = {
    baseUrl: 'http://127.0.0.1:1',
    api: 'openai-completions',
    model: 'm',
    supports: { ignoreEos: true, tokenize: false, usage: 'final' },
  };
  const bodies = new Set([0, 1, 2, 500].map((id) => JSON.parse(buildRequestBody(target, prompts[2]!, id)).prompt));
  assert.equal(bodies.size, 4);
  for (const prompt of bodies) assert.match(prompt as string, /^Say "hi"\n[a-z]+ [a-z]+ [a-z]+ then stop \\ please$/);
});
