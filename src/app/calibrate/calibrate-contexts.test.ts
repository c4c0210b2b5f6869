import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kvBytesFor } from '../../calibrate/estimate-contexts.js';
import { KittError } from '../../core/errors.js';
import { silentProgress } from '../../core/progress.js';
import type { EngineExit, EngineRequest, RunningEngine } from '../../engines/engine.js';
import type { RequestRecord } from '../../metrics/request-record.js';
import { ensureTestModel } from '../../testing/test-model.js';
import {
  type ContextsPorts,
  calibrateContexts,
  contextsUnsupported,
  formatContextsResult,
} from './calibrate-contexts.js';
import { readKvShape } from './model-kv-shape.js';

const MIB = 1024 ** 2;

/**
 * A llama.cpp container whose memory is its baseline plus the KV of its slots plus a per-slot cost
 * the model's KV does not show (buffers per sequence), and past 32 slots more again (what a
 * two-point line cannot foresee): above the limit it is OOM-killed as it starts.
 */
function simulatedEngine(options: { limitBytes: number; baselineBytes: number; hiddenPerSlotBytes: number }) {
  const started: number[] = [];
  let memoryBytes = 0;
  let stopped = 0;
  const ports: ContextsPorts = {
    readKvShape,
    async startEngine(request) {
      const slots = request.parallel ?? 1;
      const ctx = Number(request.engineArgs[request.engineArgs.indexOf('--ctx-size') + 1]);
      const shape = await readKvShape(request.modelPath);
      assert.ok('shape' in shape);
      started.push(slots);
      memoryBytes =
        options.baselineBytes +
        kvBytesFor(shape.shape, 1, ctx) +
        slots * options.hiddenPerSlotBytes +
        Math.max(0, slots - 32) * 512 * 1024;
      if (memoryBytes > options.limitBytes) {
        throw new KittError('OOM_KILLED', `llamacpp was OOM-killed at ${options.limitBytes} while starting`);
      }
      return {
        name: 'llamacpp',
        mode: 'docker',
        api: 'openai',
        baseUrl: 'http://127.0.0.1:1',
        servedModel: 'tiny',
        handle: 'sim',
        limits: request.limits,
        exited: new Promise<EngineExit>(() => {}),
        logTail: async () => '',
        stop: async () => {
          stopped += 1;
          return { name: 'llamacpp', exit: { exitCode: 0, signal: null, oomKilled: false, reason: 'stopped' } };
        },
        [Symbol.asyncDispose]: async () => {},
      } satisfies RunningEngine;
    },
    startSampling: () => ({ stop: async () => [{ atMs: 0, cpuPercentOfLimit: 50, memoryBytes }] }),
    fillContexts: async (_engine, fill) => {
      assert.ok(fill.promptTokens + fill.outputTokens < 512, 'prompt + answer fit the context');
      return Array.from({ length: fill.contexts }, () => ({ error: null }) as unknown as RequestRecord);
    },
  };
  return { ports, started, stoppedCount: () => stopped };
}

async function request(memoryBytes: number | undefined, engine = 'llamacpp'): Promise<EngineRequest> {
  return {
    engine,
    mode: 'docker',
    modelPath: await ensureTestModel(),
    limits: { cpus: 1, ...(memoryBytes === undefined ? {} : { memoryBytes }) },
    engineArgs: [],
    runId: 'contexts-test',
    threads: 1,
  };
}

const options = { signal: new AbortController().signal, progress: silentProgress };

test('the estimate from the measured cost of a context is verified on the engine and stepped down after an OOM until every slot answers', async () => {
  const sim = simulatedEngine({ limitBytes: 64 * MIB, baselineBytes: 40 * MIB, hiddenPerSlotBytes: 96 * 1024 });
  const saved: number[] = [];
  const result = await calibrateContexts(
    { engine: await request(64 * MIB), contextTokens: 512, margin: 0.1, ceiling: 256 },
    { ...sim.ports, saveMaxContexts: async (r) => void saved.push(r.maxContexts) },
    options,
  );
  assert.equal(result.status, 'measured');
  if (result.status !== 'measured') return;
  // one context, then eight: each further one costs its 256 KiB of KV and the 96 KiB it hides
  assert.equal(result.estimate.measuredPerContextBytes, 352 * 1024);
  assert.equal(result.baseline.baselineBytes, 40 * MIB);
  // (64 MiB × 0.9 − 40 MiB) / 352 KiB = 51.2; 51 OOMs past 32 slots, ¾ of it, 38, answers
  assert.equal(result.estimate.contexts, 51);
  assert.deepEqual(sim.started, [1, 8, 51, 38]);
  assert.deepEqual(
    result.verifications.map((v) => `${v.contexts} ${v.outcome}`),
    ['8 answered', '51 oom', '38 answered'],
  );
  assert.equal(result.maxContexts, 38);
  assert.equal(result.kvBytesPerToken, 512);
  assert.deepEqual(saved, [38]);
  assert.equal(sim.stoppedCount(), 3, 'every engine that started was stopped');
  assert.match(formatContextsResult(result), /max contexts for llamacpp\/1cpu-64MiB: 38 × 512 tokens \(estimated 51/);
});

test('without a memory limit, or for an engine whose slots kitt does not size, nothing is measured or written', async () => {
  const sim = simulatedEngine({ limitBytes: 64 * MIB, baselineBytes: 40 * MIB, hiddenPerSlotBytes: 0 });
  const none = await calibrateContexts(
    { engine: await request(undefined), margin: 0.1, ceiling: 64 },
    sim.ports,
    options,
  );
  assert.deepEqual(none, {
    status: 'not-measured',
    key: 'llamacpp/1cpu',
    reason: 'there is no memory limit to fit (--memory)',
  });
  assert.equal(sim.started.length, 0);
  assert.match(contextsUnsupported(await request(MIB, 'vllm')) ?? '', /\(llama\.cpp\), not vllm's/);
  const own = { ...(await request(MIB)), engineArgs: ['--ctx-size', '8192'] };
  assert.match(contextsUnsupported(own) ?? '', /--engine-arg --ctx-size/);
  assert.match(formatContextsResult(none), /^max contexts for llamacpp\/1cpu: not measured: there is no memory limit/);
});
