import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { KittError } from '../../core/errors.js';
import { sampleStats } from '../sample-stats.js';
import { readProc } from './proc-stats.js';
import { ProcessRuntime } from './process-runtime.js';

function tempHome(t: TestContext): string {
  const home = mkdtempSync(join(tmpdir(), 'kitt-proc-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  return home;
}

test('a native process is started, measured from /proc, and stopped with its group', async (t) => {
  const home = tempHome(t);
  const runtime = new ProcessRuntime({ home });
  const ref = await runtime.start({
    name: 'spinner',
    command: process.execPath,
    args: ['-e', 'console.log("spinning"); const a = Buffer.alloc(32 << 20, 1); for (;;) {}'],
    cpus: 2,
    memoryBytes: 1 << 30,
  });
  t.after(() => runtime.stop(ref, { graceMs: 100 }));
  assert.equal(readdirSync(join(home, 'run')).length, 1, 'a pidfile records the child');
  const { samples, summary } = await sampleStats(
    { stats: (r: typeof ref, signal?: AbortSignal) => runtime.stats(r, signal, 500) },
    ref,
    { intervalMs: 500, signal: AbortSignal.timeout(2_300) },
  );
  assert.ok(samples.length >= 3, `${samples.length} samples`);
  const last = samples.at(-1)!;
  assert.ok(summary.cpuCores.max > 0.3 && summary.cpuCores.max <= 1.15, `cores ${summary.cpuCores.max}`);
  // one busy thread against a 2-core budget: CPU % of the budget equals CPU % of this 2-CPU host × 2 / 2
  assert.ok(Math.abs(last.cpuPercentOfLimit - (last.cpuCores / 2) * 100) < 1e-9);
  assert.ok(last.memoryBytes > 32 << 20, `rss ${last.memoryBytes}`);
  assert.equal(last.memoryLimitBytes, 1 << 30);
  assert.ok(last.pids >= 1);
  assert.match(runtime.logsTail(ref), /spinning/);

  const exit = await runtime.stop(ref, { graceMs: 2_000 });
  assert.equal(exit.signal, 'SIGTERM');
  assert.deepEqual(await runtime.stop(ref), exit, 'stop is idempotent');
  assert.deepEqual(readdirSync(join(home, 'run')), [], 'the pidfile is removed on exit');
  assert.equal(readProc(ref.pid), undefined);
});

test('a group that ignores SIGTERM is killed after the grace period, workers included', async (t) => {
  const runtime = new ProcessRuntime({ home: tempHome(t) });
  const script = `process.on('SIGTERM', () => {});
    const w = require('child_process').spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    console.log('worker ' + w.pid); setInterval(() => {}, 1000);`;
  const ref = await runtime.start({ name: 'stubborn', command: process.execPath, args: ['-e', script] });
  let worker: number | undefined;
  while (worker === undefined) {
    await new Promise((r) => setTimeout(r, 50));
    worker = Number(/worker (\d+)/.exec(runtime.logsTail(ref))?.[1]) || undefined;
  }
  const started = performance.now();
  const exit = await runtime.stop(ref, { graceMs: 500 });
  assert.equal(exit.signal, 'SIGKILL');
  assert.ok(performance.now() - started >= 450);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(readProc(worker), undefined, 'the worker died with its leader');
});

test('after kill -9 of kitt, the next runtime reaps the engine it left running', async (t) => {
  const home = tempHome(t);
  // A stand-in for kitt: starts an engine through ProcessRuntime, prints its pid, then waits.
  const kittScript = fileURLToPath(new URL('../../testing/fake-kitt.ts', import.meta.url));
  const kitt = spawn(process.execPath, ['--import', 'tsx', kittScript, home], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  kitt.stdout!.setEncoding('utf8');
  kitt.stdout!.on('data', (chunk: string) => {
    output += chunk;
  });
  while (!/engine (\d+)/.test(output)) {
    assert.equal(kitt.exitCode, null, 'the stand-in exited early');
    await new Promise((r) => setTimeout(r, 50));
  }
  const engine = Number(/engine (\d+)/.exec(output)![1]);
  t.after(() => {
    try {
      process.kill(-engine, 'SIGKILL');
    } catch {}
  });
  kitt.kill('SIGKILL');
  await once(kitt, 'exit');
  assert.notEqual(readProc(engine), undefined, 'the engine outlived kitt, as it does after kill -9');

  const reaped = await new ProcessRuntime({ home }).reapStale({ graceMs: 2_000 });
  assert.deepEqual(reaped, [engine]);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(readProc(engine), undefined);
  assert.deepEqual(readdirSync(join(home, 'run')), []);
});

test('reaping leaves the engines of a live kitt alone', async (t) => {
  const home = tempHome(t);
  const runtime = new ProcessRuntime({ home });
  const ref = await runtime.start({
    name: 'live',
    command: process.execPath,
    args: ['-e', 'setInterval(() => {}, 1000)'],
  });
  t.after(() => runtime.stop(ref, { graceMs: 100 }));
  assert.deepEqual(await new ProcessRuntime({ home }).reapStale(), []);
  assert.notEqual(readProc(ref.pid), undefined);
});

test('a missing executable is ENGINE_FAILED naming the fix', async (t) => {
  const runtime = new ProcessRuntime({ home: tempHome(t) });
  await assert.rejects(runtime.start({ name: 'x', command: 'kitt-no-such-server', args: [] }), (error: unknown) => {
    assert.ok(error instanceof KittError);
    assert.equal(error.code, 'ENGINE_FAILED');
    assert.match(error.hint ?? '', /PATH/);
    return true;
  });
});
