import { newRunId } from '../core/ids.js';
import { createDockerRuntime } from '../runtime/docker/docker-runtime.js';
import { pingDocker } from '../testing/docker-gate.js';
import { runEngineContract } from '../testing/engine-contract.js';
import { freePort } from '../testing/free-port.js';
import { RecordingProgress } from '../testing/recording-progress.js';
import { startContainerEngine } from '../testing/start-engine-in.js';
import { ensureTestModel } from '../testing/test-model.js';
import { LLAMACPP_CPU_IMAGE } from './llamacpp.js';

/** Tier 2: the llama.cpp server container runs the same contract as every engine adapter. */
const runtime = createDockerRuntime();
const available = (await pingDocker()) && (await runtime.imageExists(LLAMACPP_CPU_IMAGE));
if (!available && process.env.KITT_REQUIRE_DOCKER === '1') {
  throw new Error(`the llama.cpp contract needs Docker and ${LLAMACPP_CPU_IMAGE} (scripts/build-llamacpp-image.sh)`);
}
const unavailable = available ? undefined : `needs Docker and ${LLAMACPP_CPU_IMAGE}`;

runEngineContract(
  'llama.cpp container',
  async () =>
    startContainerEngine(
      {
        engine: 'llamacpp',
        mode: 'docker',
        modelPath: await ensureTestModel(),
        limits: { memoryBytes: 1024 * 1024 * 1024, cpus: 1 },
        engineArgs: [],
        runId: newRunId(),
        port: await freePort(),
        parallel: 1,
        threads: 1,
      },
      { runtime, progress: new RecordingProgress() },
    ),
  unavailable ? { skipAll: unavailable } : {},
);
