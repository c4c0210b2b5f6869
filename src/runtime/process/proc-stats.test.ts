import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseProcStat, readProc } from './proc-stats.js';

test('fields are counted after the command name, even one with spaces and parentheses', () => {
  const stat =
    '4242 (llama (server) x) S 1 4240 4240 0 -1 4194560 500 0 0 0 1234 56 0 0 20 0 7 0 987654 1000000 2000 18446744073709551615';
  const reading = parseProcStat(4242, stat, 'Name:\tx\nVmRSS:\t  2048 kB\nThreads:\t7\n');
  assert.deepEqual(reading, {
    pid: 4242,
    processGroup: 4240,
    cpuTicks: 1234 + 56,
    startTime: '987654',
    rssBytes: 2048 * 1024,
    threads: 7,
  });
});

test('this process reads back with its own group and a resident size', () => {
  const reading = readProc(process.pid);
  assert.ok(reading);
  assert.ok(reading.rssBytes > 1 << 20);
  assert.ok(reading.threads >= 1);
  assert.equal(readProc(2 ** 30), undefined);
});
