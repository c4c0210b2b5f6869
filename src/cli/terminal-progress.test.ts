import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createTerminalProgress } from './terminal-progress.js';

/** A stream that looks like a terminal of `columns` columns and keeps what was written. */
function fakeTerminal(columns: number) {
  let written = '';
  const stream = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        written += chunk;
        done();
      },
    }),
    { isTTY: true, columns },
  );
  return { stream, written: () => written };
}

test('a pty that reports 0 columns gets whole short lines, not lines cut by one character', () => {
  const terminal = fakeTerminal(0);
  const progress = createTerminalProgress(terminal.stream, { debug: false });
  progress.phase('warmup');
  assert.match(terminal.written(), /… warmup$/);
});

test('on a TTY a finished load stage leaves its headline and the live line is cut to the width', () => {
  const terminal = fakeTerminal(40);
  const progress = createTerminalProgress(terminal.stream, { debug: false });
  const atMs = performance.now();
  progress.load?.({
    kind: 'stage-start',
    atMs,
    stage: 0,
    stages: 2,
    label: 'constant-rate 4/s',
    requests: 8,
    durationS: 2,
  });
  const live = terminal.written().split('\r\x1b[K').at(-1)!;
  assert.equal(live.length, 39, live);
  progress.load?.({ kind: 'request-done', atMs, ttftMs: 12, failed: false, inFlight: 0 });
  progress.load?.({ kind: 'stage-end', atMs });
  assert.match(
    terminal.written(),
    /✓ stage 1\/2 constant-rate 4\/s: 1 requests, [\d.]+ req\/s, TTFT p50 12\.0 ms, 0 errors \([\d.]+ s\)\n$/,
  );
});
