import { newRunId } from '../core/ids.js';
import { runEngineContract } from '../testing/engine-contract.js';
import { RecordingProgress } from '../testing/recording-progress.js';
import { startEmbeddedEngine } from '../testing/start-engine-in.js';
import { ensureTestModel } from '../testing/test-model.js';

/** Tier 1: the embedded engine (llama.cpp in kitt's child process) runs the engine contract. */
runEngineContract('embedded', async () =>
  startEmbeddedEngine(
    {
      engine: 'embedded',
      mode: 'embedded',
      modelPath: await ensureTestModel(),
      limits: {},
      engineArgs: [],
      runId: newRunId(),
      parallel: 1,
      threads: 1,
    },
    { progress: new RecordingProgress() },
  ),
);
