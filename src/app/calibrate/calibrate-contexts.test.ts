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
 * the estimate does not know (buffers per sequence): above the limit it is OOM-killed as it starts.
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
      memoryBytes = options.baselineBytes + kvBytesFor(shape.shape, 1, ctx) + slots * options.hiddenPerSlotBytes;
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

test('the estimate is verified on the engine and stepped down after an OOM until every slot answers', async () => {
  const sim = simulatedEngine({ limitBytes: 64 * MIB, baselineBytes: 40 * MIB, hiddenPerSlotBytes: 96 * 1024 });
  const saved: number[] = [];
  const result = await calibrateContexts(
    { engine: await request(64 * MIB), contextTokens: 512, margin: 0.1, ceiling: 256 },
    { ...sim.ports, saveMaxContexts: async (r) => void saved.push(r.maxContexts) },
    options,
  );
  assert.equal(result.status, 'measured');
  if (result.status !== 'measured') return;
  // baseline fill at 1 slot, then the estimate (70 from 17.6 MiB / 256 KiB), which OOMs with the hidden cost
  assert.equal(result.estimate.contexts, 70);
  assert.deepEqual(sim.started.slice(0, 2), [1, 70]);
  assert.equal(result.verifications[0]?.outcome, 'oom');
  const answered = result.verifications.find((v) => v.outcome === 'answered');
  assert.ok(answered, JSON.stringify(result.verifications));
  assert.equal(result.maxContexts, answered.contexts);
  assert.ok(result.maxContexts < 70 && result.maxContexts > 1);
  // what answered really fits: baseline + KV + hidden cost under the limit
  assert.ok(40 * MIB + result.maxContexts * (256 * 1024 + 96 * 1024) <= 64 * MIB);
  assert.equal(result.kvBytesPerToken, 512);
  assert.deepEqual(saved, [result.maxContexts]);
  assert.equal(sim.stoppedCount(), sim.started.length - result.verifications.filter((v) => v.outcome === 'oom').length);
  assert.match(formatContextsResult(result), /max contexts for llamacpp\/1cpu-64MiB: \d+ × 512 tokens \(estimated 70/);
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
  assert.match(contextsUnsupported(await request(MIB, 'vllm')) ?? '', /not vllm's/);
  const own = { ...(await request(MIB)), engineArgs: ['--ctx-size', '8192'] };
  assert.match(contextsUnsupported(own) ?? '', /--engine-arg --ctx-size/);
  assert.match(formatContextsResult(none), /^max contexts for llamacpp\/1cpu: not measured: there is no memory limit/);
});
