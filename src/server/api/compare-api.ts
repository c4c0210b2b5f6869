import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { compareStoredRuns } from '../../app/compare/compare-stored-runs.js';
import type { Store } from '../../store/store-types.js';
import type { AuthGate, ServerEnv } from '../auth/auth-gate.js';
import { ErrorSchema } from './api-schemas.js';

const flag = z
  .enum(['true', 'false'])
  .optional()
  .transform((value) => value === 'true');

export const CompareQuerySchema = z.object({
  runs: z
    .string()
    .transform((text) =>
      text
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string()).min(2, 'name at least two runs: ?runs=BASELINE,CANDIDATE'))
    .openapi({ description: 'run ids, series ids or unique prefixes, comma-separated; the first is the baseline' }),
  alpha: z.coerce.number().gt(0).lt(0.5).default(0.05).openapi({ description: 'significance level' }),
  noise: z.coerce.number().min(0).lt(1).default(0.02).openapi({ description: 'relative noise threshold, 0.02 = 2 %' }),
  series: flag.openapi({ description: 'a repeat stands for its whole series' }),
  force: flag.openapi({ description: 'compare runs of different models anyway' }),
});

/** kitt compare's report, as `kitt compare --json` prints it (docs/compare.md). */
export const ComparisonSchema = z
  .object({
    baseline: z.string(),
    sides: z.array(z.unknown()),
    comparisons: z.array(z.unknown()),
    method: z.object({ requests: z.string().optional(), repeats: z.string().optional() }),
    caveat: z.string().nullable(),
  })
  .openapi('Comparison');

const compareRoute = createRoute({
  method: 'get',
  path: '/compare',
  tags: ['compare'],
  summary: 'compare runs or series: per-metric differences with intervals, a test and a verdict',
  security: [{ bearer: [] }],
  request: { query: CompareQuerySchema },
  responses: {
    200: { description: 'the comparison', content: { 'application/json': { schema: ComparisonSchema } } },
    400: {
      description: 'invalid parameters, or runs that cannot be compared',
      content: { 'application/json': { schema: ErrorSchema } },
    },
    401: { description: 'no valid token', content: { 'application/json': { schema: ErrorSchema } } },
  },
});

/** The same use case as `kitt compare`, over the served store. */
export function addCompareRoutes(api: OpenAPIHono<ServerEnv>, store: Store, gate: AuthGate): void {
  api.use('/compare', gate.requireScope('read'));
  api.openapi(compareRoute, async (c) => {
    const query = c.req.valid('query');
    const report = await compareStoredRuns(store, {
      names: query.runs,
      alpha: query.alpha,
      noise: query.noise,
      series: query.series,
      force: query.force,
    });
    // the report's arrays are readonly; the response schema's are plain arrays of the same items
    return c.json({ ...report, sides: [...report.sides], comparisons: [...report.comparisons] }, 200);
  });
}
