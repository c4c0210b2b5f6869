import { z } from '@hono/zod-openapi';
import type { LiveSnapshot } from '../../metrics/live-snapshot.js';

const count = z.number().int().nonnegative();
const figure = z.number().finite().nonnegative();

/** What `kitt run` posts about once a second (src/metrics/live-snapshot.ts says what each field is). */
export const LiveSnapshotSchema = z
  .object({
    runId: z.string().min(1).max(200),
    seq: z.number().int().positive(),
    phase: z.string().max(200),
    stage: z.object({ index: count, count: z.number().int().positive(), label: z.string().max(200) }).nullable(),
    elapsedS: figure,
    plannedDurationS: figure.nullable(),
    completed: count,
    failed: count,
    inFlight: count.nullable(),
    windowS: z.number().positive().finite(),
    requestsPerS: figure,
    outputTokensPerS: figure,
    ttftP50Ms: figure.nullable(),
    ttftP99Ms: figure.nullable(),
    container: z
      .object({ cpuPercentOfLimit: figure, memoryBytes: figure, memoryLimitBytes: figure, ageS: figure })
      .nullable(),
    done: z.boolean(),
    status: z.string().max(40).optional(),
  })
  .openapi('LiveSnapshot');

// the schema and the type the run builds must not drift apart
const _sameShape: z.infer<typeof LiveSnapshotSchema> extends LiveSnapshot
  ? LiveSnapshot extends z.infer<typeof LiveSnapshotSchema>
    ? true
    : never
  : never = true;
void _sameShape;

export const LiveRunListSchema = z
  .object({
    runs: z.array(z.object({ runId: z.string(), updatedAt: z.string(), latest: LiveSnapshotSchema })),
  })
  .openapi('LiveRunList');
