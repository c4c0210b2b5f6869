import { toRunListing } from '../../app/shared/run-listing.js';
import type { StoredRun } from '../../store/store-types.js';
import type { ArtifactName } from './api-schemas.js';

/** A run as the list shows it: the shared listing (what `kitt results list` prints) plus its host. */
export function toListedRun(run: StoredRun) {
  const listing = toRunListing(run);
  return {
    id: run.id,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt ?? null,
    status: run.status,
    engine: run.engine,
    mode: run.mode,
    model: run.model,
    host: run.hardwareFingerprint ?? null,
    requestsPerS: listing.requestsPerS,
    outputTokensPerS: listing.outputTokensPerS,
    ttftP50Ms: listing.ttftP50Ms,
    ttftP99Ms: listing.ttftP99Ms,
    tpotP50Ms: listing.tpotP50Ms,
    loadKind: listing.loadKind,
    levels: listing.levels,
    failureReason: listing.failureReason,
  };
}

/** The stored metrics document of a run (app/run's RunDocument, or a calibration's, or a partial one). */
interface StoredDocument {
  readonly metrics?: unknown;
  readonly stages?: unknown;
  readonly resources?: unknown;
  readonly crossCheck?: unknown;
  readonly gpu?: unknown;
  readonly calibration?: unknown;
  readonly load?: unknown;
  readonly warnings?: unknown;
  readonly partial?: unknown;
}

/** One run whole: its metadata and each part of its metrics document, null where the run has none. */
export function toRunDetail(
  run: StoredRun,
  artifacts: ReadonlyArray<{ name: ArtifactName; bytes: number }>,
  runUrl: string,
) {
  const document = (run.metrics ?? {}) as StoredDocument;
  const warnings = Array.isArray(document.warnings) ? document.warnings.filter((w) => typeof w === 'string') : [];
  return {
    run: {
      ...toListedRun(run),
      modelSha256: run.modelSha256 ?? null,
      modelSizeBytes: run.modelSizeBytes ?? null,
      hardware: run.hardware ?? null,
      config: run.config ?? null,
      limits: run.limits ?? null,
      load: document.load ?? null,
      error: run.error ?? null,
    },
    metrics: document.metrics ?? null,
    stages: document.stages ?? null,
    resources: document.resources ?? null,
    crossCheck: document.crossCheck ?? null,
    gpu: document.gpu ?? null,
    calibration: document.calibration ?? null,
    warnings: warnings as string[],
    partial: document.partial === true,
    artifacts: artifacts.map((artifact) => ({ ...artifact, url: `${runUrl}/artifacts/${artifact.name}` })),
  };
}
