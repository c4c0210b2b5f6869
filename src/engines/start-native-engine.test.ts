import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { request } from 'undici';
import { KittError } from '../core/errors.js';
import { newRunId } from '../core/ids.js';
import { ProcessRuntime } from '../runtime/process/process-runtime.js';
import { freePort } from '../testing/free-port.js';
import { RecordingProgress } from '../testing/recording-progress.js';
import { startNativeEngine } from '../testing/start-engine-in.js';
import { ensureTestModel } from '../testing/test-model.js';
import type { EngineRequest } from './engine.js';
import type { EngineDefinition } from './engine-definition.js';
import { llamacppEngine } from './llamacpp.js';

const dir = mkdtempSync(join(tmpdir(), 'kitt-native-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const gguf = await ensureTestModel();
const processes = new ProcessRuntime({ home: dir });

/** A host "engine": node running the given script with the port as its argument. */
function nodeEngine(script: string): EngineDefinition {
  return {
    ...llamacppEngine,
    nativeExecutable: 'node',
    readiness: { httpPath: '/health', timeoutMs: 20_000 },
    hostCommand: (launch) => ({
      command: process.execPath,
      args: ['-e', script, String(launch.port)],
      env: {},
    }),
  };
}

const serveHealth = `
const port = Number(process.argv[1]);
let ready = false; setTimeout(() => { ready = true; }, 300);
require('node:http').createServer((q, s) => { s.statusCode = q.url === '/health' && ready ? 200 : 503; s.end('{}'); })
  .listen(port, '127.0.0.1', () => console.log('listening on ' + port));
process.on('SIGTERM', () => process.exit(0));`;

async function nativeRequest(): Promise<EngineRequest> {
  return {
    engine: 'llamacpp',
    mode: 'native',
    modelPath: gguf,
    limits: { cpus: 1 },
    engineArgs: [],
    runId: newRunId(),
    port: await freePort(),
  };
}

test('a native engine becomes ready after its 503s, serves, and stop ends the process', async () => {
  const req = await nativeRequest();
  const engine = await startNativeEngine(req, {
    processes,
    progress: new RecordingProgress(),
    definition: nodeEngine(serveHealth),
  });
  assert.equal(engine.mode, 'native');
  assert.equal(engine.baseUrl, `http://127.0.0.1:${req.port}`);
  const health = await request(`${engine.baseUrl}/health`);
  await health.body.text();
  assert.equal(health.statusCode, 200);
  assert.match(await engine.logTail(), /listening on/);
  const stopped = await engine.stop();
  assert.equal(stopped.exit.exitCode, 0);
  assert.equal(await engine.stop(), stopped, 'stop is idempotent');
  assert.throws(() => process.kill(Number(engine.handle), 0), /ESRCH/);
});

test('a native engine that exits at once fails early with its output', async () => {
  const req = await nativeRequest();
  const started = performance.now();
  await assert.rejects(
    startNativeEngine(req, {
      processes,
      progress: new RecordingProgress(),
      definition: nodeEngine("console.error('error: unknown argument: --bogus'); process.exit(3)"),
    }),
    (error: unknown) =>
      error instanceof KittError &&
      error.code === 'ENGINE_EXITED' &&
      /exited with code 3/.test(error.message) &&
      /unknown argument: --bogus/.test(error.message),
  );
  assert.ok(performance.now() - started < 10_000);
});

test('native mode of an engine without one is refused before anything starts', async () => {
  await assert.rejects(
    startNativeEngine(
      { ...(await nativeRequest()), engine: 'exllamav2' },
      { processes, progress: new RecordingProgress() },
    ),
    (error: unknown) => error instanceof KittError && error.hint === 'use --mode docker',
  );
});
