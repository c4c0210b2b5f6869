import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { RunningEngine } from '../../engines/engine.js';
import type { StatsSample } from '../../runtime/container-runtime.js';
import { ProcessRuntime } from '../../runtime/process/process-runtime.js';
import type { StatsSource } from '../../runtime/sample-stats.js';
import { watchResources } from './run-ports.js';

// watchResources only hands the engine to statsSourceFor, which these tests answer themselves.
const ENGINE = { name: 'llamacpp', mode: 'native', handle: '0' } as unknown as RunningEngine;

/** A source that yields nothing until it is aborted, like a stats stream that has not spoken yet. */
const silentSource: StatsSource<string> = {
  async *stats(_ref, signal) {
    await new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }));
  },
};

const sample = (atMs: number): StatsSample => ({
  atMs,
  cpuPercentOfLimit: 10,
  cpuPercentOfHost: 5,
  cpuCores: 0.1,
  throttledPeriods: 0,
  throttledTimeMs: 0,
  memoryBytes: 1_000,
  memoryLimitBytes: 10_000,
  pids: 1,
  netRxBytes: 0,
  netTxBytes: 0,
});

const starterOf = (runtime: StatsSource<unknown>, ref: unknown) => ({ statsSourceFor: () => ({ runtime, ref }) });

test('stop waits for a first sample no longer than its deadline when the engine says nothing', async () => {
  const watch = watchResources(starterOf(silentSource as StatsSource<unknown>, 'x'), ENGINE, undefined, 300)!;
  const started = performance.now();
  const series = await watch.stop();
  const took = performance.now() - started;
  assert.equal(series.samples.length, 0);
  assert.ok(took >= 250 && took < 2_000, `stop took ${took} ms`);
});

test('a forced stop (second Ctrl-C) does not wait for a first sample', async () => {
  const watch = watchResources(starterOf(silentSource as StatsSource<unknown>, 'x'), ENGINE, undefined, 60_000)!;
  const force = new AbortController();
  setTimeout(() => force.abort(), 50);
  const started = performance.now();
  await watch.stop(force.signal);
  assert.ok(performance.now() - started < 2_000);
});

test('stop returns at once once a sample arrived, with the sample kept', async () => {
  const source: StatsSource<unknown> = {
    async *stats(_ref, signal) {
      yield sample(performance.now());
      await new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }));
    },
  };
  const seen: StatsSample[] = [];
  const watch = watchResources(starterOf(source, 'x'), ENGINE, (s) => seen.push(s), 60_000)!;
  await new Promise((resolve) => setTimeout(resolve, 50));
  const started = performance.now();
  const series = await watch.stop();
  assert.ok(performance.now() - started < 1_000);
  assert.equal(series.samples.length, 1);
  assert.equal(seen.length, 1);
});

test('an engine gone before its first sample ends the wait, and nothing leaves Node on an unsettled await', (t) => {
  // The run's last await was this wait, on a timer that did not keep the event loop alive: with the
  // engine gone (OOM-killed), nothing else did either, and Node exited with code 13 mid-run.
  const home = mkdtempSync(join(tmpdir(), 'kitt-watch-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const here = (file: string) => pathToFileURL(join(import.meta.dirname, file)).href;
  const script = `
    import { ProcessRuntime } from ${JSON.stringify(here('../../runtime/process/process-runtime.ts'))};
    import { watchResources } from ${JSON.stringify(here('./run-ports.ts'))};
    const runtime = new ProcessRuntime({ home: ${JSON.stringify(home)} });
    const ref = await runtime.start({ name: 'short', command: 'true', args: [] });
    const watch = watchResources({ statsSourceFor: () => ({ runtime, ref }) }, {}, undefined);
    await runtime.wait(ref);
    const started = performance.now();
    const series = await watch.stop();
    process.stdout.write(JSON.stringify({ samples: series.samples.length, tookMs: performance.now() - started }));
  `;
  const result = spawnSync(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', script],
    { encoding: 'utf8', timeout: 30_000 },
  );
  assert.equal(result.status, 0, `exit ${result.status}: ${result.stderr}`);
  const report = JSON.parse(result.stdout) as { samples: number; tookMs: number };
  assert.equal(report.samples, 0);
  assert.ok(report.tookMs < 2_000, `settled by the sampler's end, not the 3 s deadline: ${report.tookMs} ms`);
});

test('the process runtime used above is real: it streams readings of a live process', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'kitt-watch-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const runtime = new ProcessRuntime({ home });
  const ref = await runtime.start({ name: 'sleeper', command: 'sleep', args: ['30'] });
  t.after(() => runtime.stop(ref, { graceMs: 0 }));
  const watch = watchResources(starterOf(runtime as StatsSource<unknown>, ref), ENGINE, undefined, 5_000)!;
  const series = await watch.stop();
  assert.ok(series.samples.length >= 1);
});
