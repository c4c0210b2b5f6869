import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createNdjsonSplitter, createSseSplitter } from './frame-splitter.js';

function splitAt(body: string, size: number, make: typeof createSseSplitter): string[] {
  const got: string[] = [];
  const splitter = make((payload) => got.push(payload.toString('utf8')));
  const bytes = Buffer.from(body);
  for (let i = 0; i < bytes.length; i += size) splitter.push(bytes.subarray(i, i + size));
  splitter.end();
  return got;
}

test('SSE: one-line events, multi-line data, comments, event names and CRLF give the same payloads at any chunk size', () => {
  const body =
    ': keep-alive\n\n' +
    'data: {"a":1}\n\n' +
    'event: message\ndata: {"b":2}\n\n' +
    'data: first\ndata: second\n\n' +
    'data:{"é":"ü"}\r\n\r\n' +
    'id: 7\r\ndata: x\r\n\r\n' +
    'data: [DONE]\n\n';
  const expected = ['{"a":1}', '{"b":2}', 'first\nsecond', '{"é":"ü"}', 'x', '[DONE]'];
  for (const size of [1, 2, 3, 5, 8, 13, 64, body.length]) {
    assert.deepEqual(splitAt(body, size, createSseSplitter), expected, `chunk size ${size}`);
  }
});

test('SSE: a last event without its blank line is flushed at the end; a lone comment yields nothing', () => {
  assert.deepEqual(splitAt('data: a\n\ndata: b', 4, createSseSplitter), ['a', 'b']);
  assert.deepEqual(splitAt(': ping\n\n', 1, createSseSplitter), []);
});

test('NDJSON: one payload per non-empty line, CRLF trimmed, at any chunk size', () => {
  const body = '{"a":1}\r\n\n{"b":2}\n{"c":3}';
  for (const size of [1, 3, 7, body.length]) {
    assert.deepEqual(
      splitAt(body, size, createNdjsonSplitter),
      ['{"a":1}', '{"b":2}', '{"c":3}'],
      `chunk size ${size}`,
    );
  }
});
