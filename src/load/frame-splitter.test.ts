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

test('a frame spread over thousands of chunks is joined once: 16 MiB in 1 KiB chunks takes well under 3 s', () => {
  for (const make of [createSseSplitter, createNdjsonSplitter]) {
    const got: Buffer[] = [];
    const splitter = make((payload) => got.push(payload), { maxFrameBytes: 32 * 1024 * 1024 });
    const piece = Buffer.alloc(1024, 'x');
    const start = performance.now();
    splitter.push(Buffer.from('data: '));
    for (let i = 0; i < 16 * 1024; i++) splitter.push(piece);
    splitter.push(Buffer.from('\n\n'));
    const ms = performance.now() - start;
    // Joining on every chunk copies ~128 GiB here (quadratic); the list joined once copies 16 MiB.
    assert.ok(ms < 3_000, `${make.name}: ${ms} ms`);
    assert.equal(got.length, 1);
    const expected = 16 * 1024 * 1024 + (make === createSseSplitter ? 0 : 'data: '.length);
    assert.equal(got[0]!.length, expected, make.name);
  }
});

test('a frame past the cap stops the splitter: overflowed, nothing emitted, later bytes ignored', () => {
  for (const make of [createSseSplitter, createNdjsonSplitter]) {
    const got: string[] = [];
    const splitter = make((payload) => got.push(payload.toString()), { maxFrameBytes: 64 });
    splitter.push(Buffer.from('data: ok\n\n'));
    splitter.push(Buffer.from(`data: ${'y'.repeat(40)}`));
    assert.equal(splitter.overflowed, false);
    splitter.push(Buffer.from('z'.repeat(40)));
    assert.equal(splitter.overflowed, true, make.name);
    splitter.push(Buffer.from('\n\ndata: late\n\n'));
    splitter.end();
    assert.deepEqual(got, make === createSseSplitter ? ['ok'] : ['data: ok'], make.name);
  }
});

test('an event boundary split across chunks at every byte position is still found', () => {
  const body = 'data: a\r\n\r\ndata: b\n\ndata: c\r\ndata: d\r\n\r\n';
  for (let cut = 1; cut < body.length; cut++) {
    const got: string[] = [];
    const splitter = createSseSplitter((payload) => got.push(payload.toString()));
    splitter.push(Buffer.from(body.slice(0, cut)));
    splitter.push(Buffer.from(body.slice(cut)));
    splitter.end();
    assert.deepEqual(got, ['a', 'b', 'c\nd'], `cut at ${cut}`);
  }
});
