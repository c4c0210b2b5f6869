import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createSseSplitter } from './frame-splitter.js';
import type { LoadApi } from './load-target.js';
import { createResponseDecoder } from './response-decoder.js';

const fixture = (name: string) => readFileSync(new URL(`../engines/fixtures/${name}`, import.meta.url));

function feed(body: Buffer, size: number, push: (chunk: Buffer, at: number) => void): void {
  for (let i = 0, at = 0; i < body.length; i += size, at++) push(body.subarray(i, i + size), at);
}

test('SSE framing gives the same payloads whatever the chunk size (1, 8, 64, 256 bytes), CRLF included', () => {
  const body = fixture('vllm-completions-stream.sse');
  const crlf = Buffer.from(body.toString('utf8').replaceAll('\n', '\r\n'));
  const expected: string[] = [];
  const whole = createSseSplitter((p) => expected.push(p.toString()));
  whole.push(body);
  whole.end();
  assert.equal(expected.length, 7);
  assert.equal(expected.at(-1), '[DONE]');
  for (const source of [body, crlf]) {
    for (const size of [1, 8, 64, 256]) {
      const got: string[] = [];
      const splitter = createSseSplitter((p) => got.push(p.toString()));
      feed(source, size, (chunk) => splitter.push(chunk));
      splitter.end();
      assert.deepEqual(got, expected, `chunk size ${size}`);
    }
  }
});

test('a recorded vLLM stream: 5 text chunks, usage says 10 tokens, usage wins', () => {
  const decoder = createResponseDecoder('openai-completions', { stream: true, continuousUsage: false });
  feed(fixture('vllm-completions-stream.sse'), 13, (chunk, at) => decoder.push(chunk, at));
  decoder.end(9999);
  const result = decoder.result;
  assert.equal(result.complete, true);
  assert.equal(result.arrivals.length, 5);
  assert.equal(result.completionTokens, 10);
  assert.equal(result.promptTokens, 7);
});

test('a recorded Ollama chat stream: content arrivals and the engine durations in ms', () => {
  const decoder = createResponseDecoder('ollama-chat', { stream: true, continuousUsage: false });
  feed(fixture('ollama-chat-stream.ndjson'), 17, (chunk, at) => decoder.push(chunk, at));
  decoder.end(9999);
  const { result } = decoder;
  assert.equal(result.complete, true);
  assert.equal(result.arrivals.toArrivals()[0]!.channel, 'content');
  assert.equal(result.engine?.completionTokens, 282);
  assert.equal(result.engine?.promptTokens, 26);
  assert.equal(result.engine?.generationMs, 4535.599);
  assert.equal(result.engine?.promptMs, 342.546);
  assert.equal(result.engine?.totalMs, 4883.583458);
});

test('a recorded llama.cpp answer: timings become the engine report', () => {
  const decoder = createResponseDecoder('openai-completions', { stream: false, continuousUsage: false });
  const body = JSON.parse(fixture('llamacpp-completion.json').toString());
  decoder.push(Buffer.from(JSON.stringify({ choices: [{ text: body.content }], timings: body.timings })), 1);
  decoder.end(2);
  const engine = decoder.result.engine!;
  assert.equal(engine.completionTokens, 600);
  assert.equal(engine.promptTokens, 6);
  assert.equal(engine.generationMs, 47212.818);
  assert.equal(engine.tpotMs, 78.68803);
  assert.equal(decoder.result.arrivals.toArrivals()[0]!.tokens, 600);
});

test('reasoning deltas get their own channel and do not start TTFT; a role-only chunk is no token', () => {
  const decoder = createResponseDecoder('openai-chat', { stream: true, continuousUsage: false });
  const events = [
    { choices: [{ delta: { role: 'assistant', content: '' } }] },
    { choices: [{ delta: { reasoning_content: 'hmm' } }] },
    { choices: [{ delta: { reasoning_content: 'so' } }] },
    { choices: [{ delta: { content: 'Hi' } }] },
  ];
  for (const [i, event] of events.entries())
    decoder.push(Buffer.from(`data: ${JSON.stringify(event)}\n\n`), 10 * (i + 1));
  decoder.push(Buffer.from('data: [DONE]\n\n'), 50);
  decoder.end(50);
  const { result } = decoder;
  assert.equal(result.firstReasoningAtMs, 20);
  assert.equal(result.firstContentAtMs, 40);
  assert.deepEqual(
    result.arrivals.toArrivals().map((a) => a.channel),
    ['reasoning', 'reasoning', 'content'],
  );
});

test('an error object inside a 200 stream and a non-JSON payload are reported, not thrown', () => {
  const decoder = createResponseDecoder('openai-chat', { stream: true, continuousUsage: false });
  decoder.push(Buffer.from('data: {"error":{"message":"context too long"}}\n\ndata: nope\n\n'), 1);
  decoder.end(2);
  assert.equal(decoder.result.serverError, 'context too long');
  assert.match(decoder.result.protocolError ?? '', /not JSON/);
});

test('the fast scan reads token chunks exactly as the full JSON parse does, on every API', () => {
  const cases: Record<string, readonly string[]> = {
    'openai-chat': [
      '{"choices":[{"delta":{"role":"assistant","content":""}}]}',
      '{"choices":[{"delta":{"content":"Hi"},"logprobs":{"content":[{"token":"Hi"}]}}]}',
      '{"choices":[{"logprobs":{"content":[{"token":"Hi"}]},"delta":{"content":"Hi"}}]}',
      '{"choices":[{"delta":{"content":"say \\"content\\":\\"x\\""}}],"usage":null}',
      '{"choices":[{"delta":{"reasoning":"hm"}}],"error":null}',
      '{"choices":[{"delta":{"reasoning_content":"","content":"a"}}]}',
      '{ "choices" : [ { "delta" : { "content" : "spaced" } } ] }',
      '{"choices":[{"delta":{"content":"é"}}]}',
      '{"choices":[],"usage":null}',
      '{"choices":[{"delta":{},"finish_reason":"length"}]}',
      '{"id":"x","choices":[],"usage":{"prompt_tokens":16,"completion_tokens":1,"total_tokens":17}}',
      '{"choices":[], "usage" : { "prompt_tokens" : 7 , "completion_tokens" : 12 } }',
      '{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":9,"prompt_tokens_details":{"cached_tokens":2}}}',
      '{"choices":[{"delta":{"content":"last"}}],"usage":{"prompt_tokens":3,"completion_tokens":4}}',
      '{"usage":{"prompt_tokens":3,"completion_tokens":4}}',
      '{"choices":[],"usage":{"completion_tokens":"many"}}',
    ],
    'openai-completions': [
      '{"choices":[{"text":"","index":0}]}',
      '{"choices":[{"text":" x","logprobs":null}]}',
      '{"choices":[{"text":"","finish_reason":"length"}],"usage":{"prompt_tokens":8,"completion_tokens":64}}',
    ],
    'ollama-chat': [
      '{"message":{"role":"assistant","content":"","thinking":"t"},"done":false}',
      '{"message":{"role":"assistant","content":"a"},"usage":{"n":1},"done":false}',
    ],
    'ollama-generate': ['{"response":"a","done":false}', '{"response":"","done":false}'],
  };
  for (const [api, payloads] of Object.entries(cases)) {
    for (const payload of payloads) {
      const decode = (fastScan: boolean) => {
        const decoder = createResponseDecoder(api as LoadApi, { stream: true, continuousUsage: false, fastScan });
        decoder.push(Buffer.from(api.startsWith('openai') ? `data: ${payload}\n\n` : `${payload}\n`), 7);
        decoder.end(8);
        return decoder.result;
      };
      assert.deepEqual(decode(true), decode(false), `${api}: ${payload}`);
    }
  }
});
