import type { CampaignStore } from './campaign-store.js';

/**
 * A run's state: `running` until kitt records how it ended. `engine-failed`: the engine exited or
 * was killed mid-run, and the metrics cover what was measured before; `abandoned`: the kitt process
 * that ran it is gone without having recorded an end (kill -9, a crash, a power cut).
 */
export const RUN_STATUSES = ['running', 'succeeded', 'failed', 'interrupted', 'engine-failed', 'abandoned'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

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

/** What a run list may be narrowed to; every field is optional and they combine with AND. */
export interface RunFilter {
  readonly engine?: string | undefined;
  readonly model?: string | undefined;
  /** The hardware fingerprint of the host the run was measured on. */
  readonly host?: string | undefined;
  readonly status?: RunStatus | undefined;
  /** The load's kind (`constant-rate`, `sweep`, ...), read from the stored metrics document. */
  readonly loadKind?: string | undefined;
  /** Runs started at or after this instant. */
  readonly startedFrom?: Date | undefined;
  /** Runs started before this instant. */
  readonly startedBefore?: Date | undefined;
}

/** The columns a run list sorts on; each is unique together with the id, so a cursor is exact. */
export type RunSortField = 'startedAt' | 'engine' | 'model' | 'status';

/** Keyset paging: `after` is the last row of the page before (its sort value and id). */
export interface RunQuery extends RunFilter {
  readonly sort?: RunSortField | undefined;
  readonly descending?: boolean | undefined;
  readonly limit: number;
  readonly after?: { readonly value: string; readonly id: string } | undefined;
}

/** A host kitt measured on: its fingerprint, the newest hardware description and how many runs. */
export interface StoredHost {
  readonly fingerprint: string;
  readonly runs: number;
  readonly firstRunAt: string;
  readonly lastRunAt: string;
  readonly hardware: unknown;
}

export type ApiTokenScope = 'read' | 'write' | 'admin';

/** An API token as stored: its public id, name, scope and the secret's hash, never the secret. */
export interface StoredApiToken {
  readonly id: string;
  readonly name: string;
  readonly scope: ApiTokenScope;
  /** The secret's scrypt hash with its salt and parameters (`scrypt$N$r$p$salt$hash`). */
  readonly hash: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | undefined;
  readonly revokedAt: string | undefined;
}

/** The API tokens of `kitt server`, kept in the results store beside the runs they guard. */
export interface ApiTokenStore {
  insertApiToken(token: Omit<StoredApiToken, 'lastUsedAt' | 'revokedAt'>): Promise<void>;
  /** Every token, revoked ones included, oldest first. */
  listApiTokens(): Promise<StoredApiToken[]>;
  getApiToken(id: string): Promise<StoredApiToken | undefined>;
  /** Sets revoked_at on a token not yet revoked; false when there was none. */
  revokeApiToken(id: string, at?: Date): Promise<boolean>;
  touchApiToken(id: string, at?: Date): Promise<void>;
}

/**
 * What importing a whole row did: `created` a new row, `replaced` the one there, or `kept` it because
 * the incoming row is an earlier state (a `running` row never overwrites a finished one).
 */
export type RunImportOutcome = 'created' | 'replaced' | 'kept';

/** The results store: SQLite or PostgreSQL behind one API. `await using` closes it. */
export interface Store extends ApiTokenStore, CampaignStore, AsyncDisposable {
  readonly dialect: 'sqlite' | 'postgres';
  /** Where it is: the SQLite file, or the PostgreSQL URL with its password masked. */
  readonly location: string;
  recordRunStarted(run: RunStarted): Promise<StoredRun>;
  recordRunFinished(id: string, finished: RunFinished): Promise<StoredRun>;
  /**
   * Writes a whole row by its id, as another store recorded it (kitt server receiving a pushed run):
   * inserted when new, else replaced unless that would take a finished run back to `running`. Safe
   * to repeat and to race: the insert and the conditional update are one statement each.
   */
  importRun(run: StoredRun): Promise<{ outcome: RunImportOutcome; run: StoredRun }>;
  /** Newest first; `limit` defaults to 20. */
  listRuns(options?: { limit?: number; engine?: string; status?: RunStatus }): Promise<StoredRun[]>;
  getRun(id: string): Promise<StoredRun | undefined>;
  /** One page of runs, filtered and sorted; ask for one more than a page to learn whether more follow. */
  queryRuns(query: RunQuery): Promise<StoredRun[]>;
  /** The hosts runs were measured on, the most recently used first. */
  listHosts(): Promise<StoredHost[]>;
  recordCalibration(calibration: CalibrationRecord): Promise<StoredCalibration>;
  latestCalibration(engine: string, limitsKey: string): Promise<StoredCalibration | undefined>;
  /** Calibrations newest first, optionally of one engine and limits profile: the history of a rate. */
  listCalibrations(options: { engine?: string; limitsKey?: string; limit: number }): Promise<StoredCalibration[]>;
  close(): Promise<void>;
}
