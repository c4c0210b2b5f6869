import type { EngineRequest } from '../../engines/engine.js';
import type { HardwareInfo } from '../../hardware/fingerprint.js';
import { currentOwner, formatOwner } from '../../runtime/owner.js';
import type { Store } from '../../store/store-types.js';
import type { ModelToServe } from './prepare-model.js';

/** What a measured run records as it starts: the engine it runs, on which model and hardware. */
export interface RunStart {
  readonly engine: EngineRequest;
  readonly model: ModelToServe;
  readonly hardware: HardwareInfo;
  /** The configuration to keep with the run (secrets masked by the store). */
  readonly config: unknown;
  readonly resultDir: string;
}

/**
 * Records the run as `running`, owned by this kitt process, so that a kitt that dies without
 * recording the end leaves a row openRunStore can mark `abandoned`.
 */
export async function recordRunStart(store: Store, start: RunStart): Promise<void> {
  const { engine, model, hardware } = start;
  await store.recordRunStarted({
    id: engine.runId,
    engine: engine.engine,
    mode: engine.mode,
    model: model.label,
    modelSizeBytes: model.sizeBytes,
    hardwareFingerprint: hardware.fingerprint,
    hardware,
    config: start.config,
    limits: engine.limits,
    resultPath: start.resultDir,
    owner: formatOwner(currentOwner()),
  });
}
