import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { newRunId } from '../core/ids.js';
import { createDockerRuntime } from '../runtime/docker/docker-runtime.js';
import { skipUnlessDocker } from '../testing/docker-gate.js';
import { ensureTestHogImage, hogSpec } from '../testing/test-hog.js';
import { hostModelPath } from './gather-launch-facts.js';

test("a model path inside kitt's container is translated through that container's real mounts", async (t) => {
  if (await skipUnlessDocker(t)) return;
  await ensureTestHogImage();
  const runtime = createDockerRuntime();
  const hostDir = mkdtempSync(join(tmpdir(), 'kitt-models-'));
  // stands in for kitt's own container: the model folder mounted at /models, as in KITT's README
  const ref = await runtime.run(
    hogSpec(
      newRunId(),
      ['--seconds', '60'],
      {},
      {
        mounts: [{ type: 'bind', source: hostDir, target: '/models', readOnly: true }],
      },
    ),
  );
  try {
    const path = await hostModelPath('/models/llama-7b/model.gguf', runtime, async () => ref.id);
    assert.equal(path, join(hostDir, 'llama-7b/model.gguf'));
    await assert.rejects(
      hostModelPath('/opt/model.gguf', runtime, async () => ref.id),
      /on no mount the Docker host can see/,
    );
    assert.equal(await hostModelPath('/srv/m.gguf', runtime, async () => undefined), '/srv/m.gguf');
  } finally {
    await runtime.stop(ref, { graceMs: 1_000 });
    await runtime.remove(ref);
    rmSync(hostDir, { recursive: true, force: true });
  }
});
