import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { KittError } from '../core/errors.js';
import { ProcessRuntime } from '../runtime/process/process-runtime.js';
import { RecordingProgress } from '../testing/recording-progress.js';
import { ensureTestModel } from '../testing/test-model.js';
import type { EngineRequest, RunningEngine } from './engine.js';
import { startEngine } from './start-engine.js';

const home = mkdtempSync(join(tmpdir(), 'kitt-start-engine-'));
after(() => rmSync(home, { recursive: true, force: true }));
const model = await ensureTestModel();
const base: EngineRequest = {
  engine: 'llamacpp',
  mode: 'native',
  modelPath: model,
  limits: {},
  engineArgs: [],
  runId: 'r-1',
  port: 1,
};

test('native mode goes to the host process path (and its preflight names the missing executable)', async () => {
  await assert.rejects(
    startEngine(base, {
      progress: new RecordingProgress(),
      processes: new ProcessRuntime({ home }),
      preflight: { isPortFree: async () => true },
    }),
    (e: unknown) => e instanceof KittError && e.message === 'llama-server is not on PATH',
  );
});

test('embedded mode goes to the embedded starter', async () => {
  const seen: string[] = [];
  const fake = { name: 'embedded' } as RunningEngine;
  const engine = await startEngine(
    { ...base, engine: 'embedded', mode: 'embedded' },
    {
      progress: new RecordingProgress(),
      startEmbedded: async (request) => {
        seen.push(request.mode);
        return fake;
      },
    },
  );
  assert.equal(engine, fake);
  assert.deepEqual(seen, ['embedded']);
});

test('a mode the engine lacks, or a missing runtime, fails before anything starts', async () => {
  await assert.rejects(
    startEngine({ ...base, mode: 'embedded' }, { progress: new RecordingProgress() }),
    /does not run in embedded mode/,
  );
  await assert.rejects(
    startEngine({ ...base, mode: 'docker' }, { progress: new RecordingProgress() }),
    /needs a container runtime/,
  );
});
