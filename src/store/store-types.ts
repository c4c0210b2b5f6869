/**
 * A run's state: `running` until kitt records how it ended. `engine-failed`: the engine exited or
 * was killed mid-run, and the metrics cover what was measured before; `abandoned`: the kitt process
 * that ran it is gone without having recorded an end (kill -9, a crash, a power cut).
 */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'interrupted' | 'engine-failed' | 'abandoned';

/** What kitt knows when a run starts. `id` defaults to a new run id, `startedAt` to now. */
export interface RunStarted {
  readonly id?: string;
  readonly startedAt?: Date;
  readonly engine: string;
  readonly mode: string;
  readonly model: string;
  readonly modelSha256?: string | undefined;
  readonly modelSizeBytes?: number | undefined;
  readonly hardwareFingerprint?: string | undefined;
  readonly hardware?: unknown;
  readonly config?: unknown;
  readonly limits?: unknown;
  readonly resultPath?: string | undefined;
  /** The kitt process running it (`user@host:pid:startTime`, runtime/owner.ts), to tell a dead run from a live one. */
  readonly owner?: string | undefined;
}

/** How a run ended. `finishedAt` defaults to now. */
export interface RunFinished {
  readonly status: Exclude<RunStatus, 'running'>;
  readonly finishedAt?: Date;
  readonly metrics?: unknown;
  readonly resultPath?: string | undefined;
  readonly error?: string | undefined;
}

/** A run as stored: timestamps as ISO-8601 strings, JSON columns parsed. */
export interface StoredRun {
  readonly id: string;
  readonly startedAt: string;
  readonly finishedAt: string | undefined;
  readonly status: RunStatus;
  readonly engine: string;
  readonly mode: string;
  readonly model: string;
  readonly modelSha256: string | undefined;
  readonly modelSizeBytes: number | undefined;
  readonly hardwareFingerprint: string | undefined;
  readonly hardware: unknown;
  readonly config: unknown;
  readonly limits: unknown;
  readonly metrics: unknown;
  readonly resultPath: string | undefined;
  readonly error: string | undefined;
  readonly owner: string | undefined;
}

export interface CalibrationRecord {
  readonly runId?: string | undefined;
  readonly engine: string;
  /** The limits profile, e.g. `1cpu-2GiB`; with the engine it is the key under compute.rates. */
  readonly limitsKey: string;
  readonly rateValue: number;
  readonly unit: string;
  readonly report?: unknown;
  readonly createdAt?: Date;
}

export interface StoredCalibration {
  readonly id: string;
  readonly runId: string | undefined;
  readonly engine: string;
  readonly limitsKey: string;
  readonly rateValue: number;
  readonly unit: string;
  readonly report: unknown;
  readonly createdAt: string;
}

/** The results store: SQLite or PostgreSQL behind one API. `await using` closes it. */
export interface Store extends AsyncDisposable {
  readonly dialect: 'sqlite' | 'postgres';
  /** Where it is: the SQLite file, or the PostgreSQL URL with its password masked. */
  readonly location: string;
  recordRunStarted(run: RunStarted): Promise<StoredRun>;
  recordRunFinished(id: string, finished: RunFinished): Promise<StoredRun>;
  /** Newest first; `limit` defaults to 20. */
  listRuns(options?: { limit?: number; engine?: string; status?: RunStatus }): Promise<StoredRun[]>;
  getRun(id: string): Promise<StoredRun | undefined>;
  recordCalibration(calibration: CalibrationRecord): Promise<StoredCalibration>;
  latestCalibration(engine: string, limitsKey: string): Promise<StoredCalibration | undefined>;
  close(): Promise<void>;
}
