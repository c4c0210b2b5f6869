import { z } from '@hono/zod-openapi';
import { PUSHED_FILE_NAMES, PUSHED_RUN_ID } from '../../app/push/pushed-files.js';
import { LOAD_KINDS } from '../../load/load-spec.js';
import { RUN_STATUSES } from '../../store/store-types.js';
import { TOKEN_SCOPES } from '../auth/api-tokens.js';

/** The request and response shapes of /api/v1: zod validates them and the OpenAPI document is built from them. */

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'NOT_FOUND' }),
      message: z.string().openapi({ example: 'no run 20260101T000000000Z-abcdef' }),
      hint: z.string().nullable().openapi({ example: 'GET /api/v1/runs lists the runs' }),
    }),
  })
  .openapi('Error');

const SORTS = ['startedAt', 'engine', 'model', 'status'] as const;
export type SortParam = (typeof SORTS)[number] | `-${(typeof SORTS)[number]}`;
const SORT_PARAMS = SORTS.flatMap((field) => [field, `-${field}`]) as [SortParam, ...SortParam[]];

const isoInstant = z.iso.datetime({ offset: true });

export const RunListQuerySchema = z.object({
  engine: z.string().min(1).optional().openapi({ description: 'engine name, as kitt engines list shows it' }),
  model: z.string().min(1).optional(),
  host: z.string().min(1).optional().openapi({ description: 'hardware fingerprint (GET /api/v1/hosts lists them)' }),
  status: z.enum(RUN_STATUSES).optional(),
  loadKind: z
    .enum(LOAD_KINDS as [string, ...string[]])
    .optional()
    .openapi({ example: 'constant-rate' }),
  from: isoInstant
    .optional()
    .openapi({ description: 'runs started at or after this instant', example: '2026-01-01T00:00:00Z' }),
  to: isoInstant.optional().openapi({ description: 'runs started before this instant' }),
  sort: z.enum(SORT_PARAMS).default('-startedAt').openapi({ description: 'a field, `-` first for descending' }),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(1024).optional().openapi({ description: 'nextCursor of the page before' }),
});

const RunListingSchema = z
  .object({
    id: z.string(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    status: z.enum(RUN_STATUSES),
    engine: z.string(),
    mode: z.string(),
    model: z.string(),
    host: z.string().nullable().openapi({ description: 'hardware fingerprint' }),
    requestsPerS: z.number().nullable(),
    outputTokensPerS: z.number().nullable(),
    ttftP50Ms: z.number().nullable(),
    ttftP99Ms: z.number().nullable(),
    tpotP50Ms: z.number().nullable(),
    loadKind: z.string().nullable(),
    levels: z.string().nullable(),
    failureReason: z.string().nullable(),
  })
  .openapi('RunListing');

export const RunListSchema = z
  .object({ runs: z.array(RunListingSchema), nextCursor: z.string().nullable() })
  .openapi('RunList');

export const RunIdParamSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(200)
    .openapi({ param: { name: 'id', in: 'path' }, example: '20260101T000000000Z-abcdef' }),
});

export const ARTIFACT_NAMES = ['report.html', 'requests.jsonl', 'requests.csv', 'stages.csv'] as const;
export type ArtifactName = (typeof ARTIFACT_NAMES)[number];

const ArtifactSchema = z.object({ name: z.enum(ARTIFACT_NAMES), bytes: z.number(), url: z.string() });

const documentPart = (description: string) => z.unknown().openapi({ description });

export const RunDetailSchema = z
  .object({
    run: RunListingSchema.extend({
      modelSha256: z.string().nullable(),
      modelSizeBytes: z.number().nullable(),
      hardware: documentPart('the host as kitt fingerprinted it'),
      config: documentPart('the run configuration, secrets masked'),
      limits: documentPart('CPU and memory limits of the engine'),
      load: documentPart("the run's load spec"),
      error: z.string().nullable(),
    }),
    metrics: documentPart('RunMetrics: requests, throughput, latency percentiles (docs/metrics.md)'),
    stages: documentPart('per-stage rows (docs/metrics.md, "Stages")'),
    resources: documentPart("the engine container's CPU and memory summary"),
    crossCheck: documentPart("kitt's token counts against the engine's own counters"),
    gpu: documentPart('GPU utilisation, power and energy per token'),
    calibration: documentPart('the rate a calibration found, for calibration runs'),
    warnings: z.array(z.string()),
    partial: z.boolean().openapi({ description: 'the metrics cover only part of the run (it failed mid-way)' }),
    artifacts: z.array(ArtifactSchema),
  })
  .openapi('RunDetail');

export const RequestsQuerySchema = z.object({
  offset: z.coerce
    .number()
    .int()
    .min(0)
    .default(0)
    .openapi({ description: 'requests to skip (nextOffset of the page before)' }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const RequestsPageSchema = z
  .object({
    requests: z.array(documentPart('one line of requests.jsonl: a request record (docs/metrics.md)')),
    offset: z.number(),
    nextOffset: z.number().nullable(),
  })
  .openapi('RequestsPage');

export const ArtifactParamSchema = RunIdParamSchema.extend({
  name: z.string().openapi({ param: { name: 'name', in: 'path' }, example: 'report.html' }),
});

export const CalibrationQuerySchema = z.object({
  engine: z.string().min(1).optional(),
  limits: z.string().min(1).optional().openapi({ description: 'limits profile, e.g. 1cpu-2GiB' }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const CalibrationListSchema = z
  .object({
    calibrations: z.array(
      z.object({
        id: z.string(),
        runId: z.string().nullable(),
        engine: z.string(),
        limits: z.string(),
        rate: z.number(),
        unit: z.string(),
        createdAt: z.string(),
        report: documentPart('the calibration result: windows, verdicts, confidence interval'),
      }),
    ),
  })
  .openapi('CalibrationList');

export const HostListSchema = z
  .object({
    hosts: z.array(
      z.object({
        fingerprint: z.string(),
        runs: z.number(),
        firstRunAt: z.string(),
        lastRunAt: z.string(),
        hardware: documentPart('the newest hardware description kitt recorded for it'),
        runsUrl: z.string(),
      }),
    ),
  })
  .openapi('HostList');

export const TokenInfoSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    scope: z.enum(TOKEN_SCOPES as ['read', 'write', 'admin']),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .openapi('ApiToken');

export const TokenCreateSchema = z.object({
  name: z.string().min(1).max(64),
  scope: z.enum(TOKEN_SCOPES as ['read', 'write', 'admin']),
});

export const TokenIdParamSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' }, description: 'token id or name' }),
});

const pushedRunId = z
  .string()
  .regex(PUSHED_RUN_ID, 'a run id: letters, digits, - and _ (at most 128)')
  .openapi({ param: { name: 'id', in: 'path' }, example: '20260101T000000000Z-abcdef' });

export const RunUploadParamSchema = z.object({ id: pushedRunId });

export const FileUploadParamSchema = RunUploadParamSchema.extend({
  name: z
    .enum(PUSHED_FILE_NAMES)
    .openapi({ param: { name: 'name', in: 'path' }, description: "a file of the run's result folder" }),
});

const optionalPart = (description: string) => z.unknown().optional().openapi({ description });

/** A run's stored row as another kitt recorded it: StoredRun without resultPath and owner, which are the server's. */
export const RunUploadSchema = z
  .object({
    id: z.string(),
    startedAt: isoInstant,
    finishedAt: isoInstant.nullish(),
    status: z.enum(RUN_STATUSES),
    engine: z.string().min(1).max(200),
    mode: z.string().min(1).max(200),
    model: z.string().min(1).max(4096),
    modelSha256: z.string().max(128).nullish(),
    modelSizeBytes: z.number().int().min(0).nullish(),
    hardwareFingerprint: z.string().max(200).nullish(),
    hardware: optionalPart('the host as kitt fingerprinted it'),
    config: optionalPart('the run configuration (secrets are masked again as it is stored)'),
    limits: optionalPart('CPU and memory limits of the engine'),
    metrics: optionalPart("the run's metrics document, as kitt results show --json prints it"),
    error: z.string().max(65_536).nullish(),
  })
  .openapi('RunUpload');

export const RunUploadAnswerSchema = z
  .object({
    id: z.string(),
    status: z.enum(RUN_STATUSES),
    outcome: z.enum(['created', 'replaced', 'kept']).openapi({
      description: 'kept: the server has a later state of the run (a finished run is never set back to running)',
    }),
    url: z.string().openapi({ example: '/api/v1/runs/20260101T000000000Z-abcdef' }),
    page: z.string().openapi({ description: "the run's dashboard page", example: '/runs/20260101T000000000Z-abcdef' }),
  })
  .openapi('RunUploadAnswer');

export const FileUploadAnswerSchema = z
  .object({ name: z.string(), bytes: z.number().openapi({ description: 'bytes stored, after decompression' }) })
  .openapi('FileUploadAnswer');
