import type { Generated } from 'kysely';
import { redactUrl, SECRET_ENV_NAME, SECRET_MASK } from '../core/secret.js';
import type { ApiTokenScope, RunStatus, StoredApiToken, StoredCalibration, StoredRun } from './store-types.js';

/** The store's tables as Kysely sees them, and the mapping of their rows to the store's types. */
export interface RunsTable {
  id: string;
  started_at: string | Date;
  finished_at: string | Date | null;
  status: RunStatus;
  engine: string;
  mode: string;
  model: string;
  model_sha256: string | null;
  model_size_bytes: number | string | null;
  hardware_fingerprint: string | null;
  hardware: unknown;
  config: unknown;
  limits: unknown;
  metrics: unknown;
  result_path: string | null;
  error: string | null;
  owner: string | null;
}

export interface CalibrationsTable {
  id: Generated<string>;
  run_id: string | null;
  engine: string;
  limits_key: string;
  rate_value: number;
  unit: string;
  report: unknown;
  created_at: string | Date;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  scope: ApiTokenScope;
  hash: string;
  created_at: string | Date;
  last_used_at: string | Date | null;
  revoked_at: string | Date | null;
}

export interface StoreSchema {
  runs: RunsTable;
  calibrations: CalibrationsTable;
  api_tokens: ApiTokensTable;
}

// JSON goes in as text on both databases (PostgreSQL casts it to jsonb); it comes back parsed from
// jsonb and as text from SQLite. Timestamps go in as ISO-8601 and come back as Date (timestamptz) or text.
export const toJson = (value: unknown) => (value === undefined ? null : JSON.stringify(value));
/**
 * The config column as stored: a Secret serialises as the mask already; this also masks a plain
 * string under a credential-like key (token, password, HF_TOKEN) and the credentials in any URL,
 * so a config built by hand cannot put a secret in the store either.
 */
export const toConfigJson = (value: unknown) =>
  value === undefined
    ? null
    : JSON.stringify(value, (key, inner: unknown) =>
        typeof inner !== 'string' ? inner : SECRET_ENV_NAME.test(key) ? SECRET_MASK : redactUrl(inner),
      );
export const fromJson = (value: unknown) =>
  typeof value === 'string' ? (JSON.parse(value) as unknown) : (value ?? undefined);
// rows written before the config was masked are not rewritten, but they are read masked
export const fromConfigJson = (value: unknown) => {
  const config = fromJson(value);
  return config === undefined ? undefined : (JSON.parse(toConfigJson(config)!) as unknown);
};
export const toIso = (value: string | Date | null) =>
  value === null ? undefined : value instanceof Date ? value.toISOString() : new Date(value).toISOString();
export const orUndefined = <T>(value: T | null) => (value === null ? undefined : value);

export function toRun(row: RunsTable): StoredRun {
  return {
    id: row.id,
    startedAt: toIso(row.started_at)!,
    finishedAt: toIso(row.finished_at),
    status: row.status,
    engine: row.engine,
    mode: row.mode,
    model: row.model,
    modelSha256: orUndefined(row.model_sha256),
    modelSizeBytes: row.model_size_bytes === null ? undefined : Number(row.model_size_bytes),
    hardwareFingerprint: orUndefined(row.hardware_fingerprint),
    hardware: fromJson(row.hardware),
    config: fromConfigJson(row.config),
    limits: fromJson(row.limits),
    metrics: fromJson(row.metrics),
    resultPath: orUndefined(row.result_path),
    error: row.error === null ? undefined : redactUrl(row.error),
    owner: orUndefined(row.owner),
  };
}

export function toCalibration(row: Omit<CalibrationsTable, 'id'> & { id: string }): StoredCalibration {
  return {
    id: row.id,
    runId: orUndefined(row.run_id),
    engine: row.engine,
    limitsKey: row.limits_key,
    rateValue: Number(row.rate_value),
    unit: row.unit,
    report: fromJson(row.report),
    createdAt: toIso(row.created_at)!,
  };
}

export function toApiToken(row: ApiTokensTable): StoredApiToken {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    hash: row.hash,
    createdAt: toIso(row.created_at)!,
    lastUsedAt: toIso(row.last_used_at),
    revokedAt: toIso(row.revoked_at),
  };
}
