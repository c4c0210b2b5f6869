import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import Docker from 'dockerode';
import { requestBounded } from '../../core/bounded-request.js';
import { newRunId } from '../../core/ids.js';
import { llamaCppImageReady } from '../../testing/docker-gate.js';
import { freePort } from '../../testing/free-port.js';
import { RecordingProgress } from '../../testing/recording-progress.js';
import { startContainerEngine } from '../../testing/start-engine-in.js';
import { ensureTestModel } from '../../testing/test-model.js';
import { DEFAULT_PIDS_LIMIT } from './create-options.js';
import { createDockerRuntime } from './docker-runtime.js';

/**
 * Tier 2: a llama.cpp container started the way `kitt run -e llamacpp` starts it runs hardened
 * (docs/runtime.md, "Hardening"), as the daemon reports it and, where this machine shares the
 * daemon's pid namespace, as the kernel reports it for the server process; and it still serves.
 */
const runtime = createDockerRuntime();

/** The kernel's view of a host pid (null when this machine cannot see the daemon's processes). */
async function processStatus(pid: number): Promise<Record<string, string> | null> {
  try {
    const [status, cmdline] = await Promise.all([
      readFile(`/proc/${pid}/status`, 'utf8'),
      readFile(`/proc/${pid}/cmdline`, 'utf8'),
    ]);
    if (!cmdline.includes('llama-server')) return null;
    return Object.fromEntries(status.split('\n').map((line) => line.split(/:\s*/, 2) as [string, string]));
  } catch {
    return null;
  }
}

test('a llama.cpp container runs without privileges: no-new-privileges, no capabilities, a pids limit, not root; it still serves', async (t) => {
  if (!(await llamaCppImageReady(t))) return;
  const model = await ensureTestModel();
  const engine = await startContainerEngine(
    {
      engine: 'llamacpp',
      mode: 'docker',
      modelPath: model,
      limits: { memoryBytes: 512 * 1024 * 1024, cpus: 1 },
      engineArgs: [],
      runId: newRunId(),
      port: await freePort(),
      threads: 1,
    },
    { runtime, progress: new RecordingProgress() },
  );
  try {
    const data = await new Docker().getContainer(engine.handle).inspect();
    assert.deepEqual(data.HostConfig.SecurityOpt, ['no-new-privileges:true']);
    assert.deepEqual(data.HostConfig.CapDrop, ['ALL']);
    assert.equal(data.HostConfig.CapAdd ?? null, null, 'llama-server needs no capability back');
    assert.equal(data.HostConfig.PidsLimit, DEFAULT_PIDS_LIMIT, 'the default pids limit without --pids');
    assert.equal(
      data.Config.User,
      '65534:65534',
      'the image runs as nobody (rebuild it with scripts/build-llamacpp-image.sh if it predates the USER line)',
    );

    const status = await processStatus(data.State.Pid);
    if (status) {
      assert.equal(status.CapEff, '0000000000000000');
      assert.equal(status.CapPrm, '0000000000000000');
      assert.equal(status.NoNewPrivs, '1');
      assert.match(status.Uid ?? '', /^65534\s/);
    } else {
      t.diagnostic('the daemon runs in another pid namespace: the kernel view of the process was not checked');
    }

    const response = await requestBounded(`${engine.baseUrl}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'Hello', max_tokens: 4, ignore_eos: true }),
      deadlineMs: 60_000,
      maxBytes: 1024 * 1024,
    });
    assert.equal(response.statusCode, 200, response.body.toString());
    const body = JSON.parse(response.body.toString()) as { usage?: { completion_tokens?: number } };
    assert.equal(body.usage?.completion_tokens, 4);
  } finally {
    await engine.stop();
  }
});
