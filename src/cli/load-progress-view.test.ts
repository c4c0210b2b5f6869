import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoadProgressView, lineWidth } from './load-progress-view.js';

function viewAt(start: { requests: number | null; durationS: number | null }) {
  const view = new LoadProgressView();
  view.apply({ kind: 'stage-start', atMs: 1000, stage: 1, stages: 3, label: 'constant-rate 4/s', ...start });
  return view;
}

test('off a TTY the line says stage, done of total, in flight, errors and time left', () => {
  const view = viewAt({ requests: 240, durationS: 60 });
  for (let i = 0; i < 120; i++) {
    view.apply({ kind: 'request-done', atMs: 1000 + i * 240, ttftMs: 10 + (i % 5), failed: i === 7, inFlight: 3 });
  }
  assert.equal(
    view.plainLine(1000 + 29_000),
    'stage 2/3 constant-rate 4/s: 120/240 done, 3 in flight, 1 errors, 31 s left',
  );
});

test('a count-limited stage estimates time left from the rate it has finished requests at', () => {
  const view = viewAt({ requests: 100, durationS: null });
  for (let i = 0; i < 25; i++)
    view.apply({ kind: 'request-done', atMs: 1000 + i * 400, ttftMs: 5, failed: false, inFlight: 1 });
  // 25 done in 10 s: 75 more take 30 s
  assert.equal(view.leftMs(11_000), 30_000);
  const unknown = viewAt({ requests: null, durationS: null });
  assert.equal(unknown.leftMs(5000), null);
  assert.doesNotMatch(unknown.plainLine(5000), /left/);
});

test('on a TTY the line shows elapsed, ETA, live req/s over the last 10 s and TTFT p50', () => {
  const view = viewAt({ requests: 240, durationS: 60 });
  // 2/s for the first 20 s, then 4/s: the live rate reads only the last 10 s
  for (let i = 1; i <= 40; i++) {
    view.apply({ kind: 'request-done', atMs: 1000 + i * 500, ttftMs: 50, failed: false, inFlight: 2 });
  }
  for (let i = 1; i <= 40; i++) {
    view.apply({ kind: 'request-done', atMs: 21_000 + i * 250, ttftMs: 20, failed: false, inFlight: 2 });
  }
  const now = 31_000;
  assert.equal(view.liveRequestsPerS(now), 4);
  assert.equal(view.liveTtftP50Ms(now), 20);
  assert.equal(
    view.liveLine(now),
    'stage 2/3 constant-rate 4/s [#######-------------] 80/240 · 30 s elapsed, ETA 30 s · 4.00 req/s · TTFT p50 20.0 ms · 2 in flight · 0 errors',
  );
});

test('a finished stage has one headline with its requests, rate, TTFT p50 and errors', () => {
  const view = viewAt({ requests: 10, durationS: null });
  for (let i = 0; i < 10; i++)
    view.apply({
      kind: 'request-done',
      atMs: 1000 + (i + 1) * 500,
      ttftMs: i < 6 ? 8 : 30,
      failed: i === 9,
      inFlight: 0,
    });
  view.apply({ kind: 'stage-end', atMs: 6000 });
  assert.equal(
    view.stageEndLine(6000),
    'stage 2/3 constant-rate 4/s: 10 requests, 2.00 req/s, TTFT p50 8.0 ms, 1 errors (5.0 s)',
  );
});

test('a terminal reporting 0 columns has an unknown width, not a width of zero', () => {
  assert.equal(lineWidth(0), 80);
  assert.equal(lineWidth(undefined), 80);
  assert.equal(lineWidth(132), 132);
});
