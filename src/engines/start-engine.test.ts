import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { KittError } from '../core/errors.js';
import { ProcessRuntime } from '../runtime/process/process-runtime.js';
import { RecordingProgress } from '../testing/recording-progress.js';
import { ensureTestModel } from '../testing/test-model.js';
import { embeddedEngine } from './embedded/embedded-engine.js';
import type { EngineRequest } from './engine.js';
import type { EngineDefinition } from './engine-definition.js';
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

test('embedded mode spawns the child in its own process group and stops the whole group', async () => {
  // a stand-in child that speaks the embedded protocol: the port on stdout, then /health ok
  const script = `
const server = require('node:http').createServer((q, s) => { s.end(q.url === '/health' ? '{"status": "ok"}' : '{}'); });
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ event: 'listening', port: server.address().port })));
process.stdin.resume();`;
  const definition: EngineDefinition = {
    ...embeddedEngine,
    hostCommand: () => ({ command: process.execPath, args: ['-e', script], env: {} }),
  };
  const { port: _port, ...anyPort } = base;
  const engine = await startEngine(
    { ...anyPort, engine: 'embedded', mode: 'embedded' },
    { progress: new RecordingProgress(), definition },
  );
  const pid = Number(engine.handle);
  assert.equal(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[2], String(pid), 'leads its group');
  assert.match(engine.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  const [first, second] = await Promise.all([engine.stop(), engine.stop()]);
  assert.equal(first, second, 'stop is idempotent');
  assert.throws(() => process.kill(-pid, 0), /ESRCH/);
});

test('a mode the engine lacks, or a missing runtime, fails before anything starts', async () => {
  await assert.rejects(
    startEngine({ ...base, mode: 'embedded' }, { progress: new RecordingProgress() }),
    /does not run in embedded mode/,
  );
  await assert.rejects(
    startEngine({ ...base, mode: 'docker' }, { progress: new RecordingProgress() }),
    /docker is not reachable/,
  );
});
