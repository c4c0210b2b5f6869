import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { describeIssues } from '../config/config-issues.js';
import { limitsSchema } from '../config/config-schema.js';
import type { OptionIssues } from '../core/option-issues.js';

/**
 * The campaign file: a matrix of `kitt run`s, as YAML. Every object is strict, so a misspelt key
 * is a problem naming the keys allowed there. The values of a load, an engine and a limits profile
 * are checked afterwards by the parsers `kitt run` uses for its flags (app/campaign/read-campaign),
 * so each grammar exists once.
 */

const scalar = z.union([z.string(), z.number()]);

/**
 * A load, as `kitt run`'s load flags in camelCase (`load: constant-rate`, `rate: 2`,
 * `duration: 30s`, `levels: [1, 2, 4]`): the fields are read by the same parser as the flags.
 */
export const campaignLoadSchema = z.strictObject({
  load: z.string().optional(),
  requests: scalar.optional(),
  duration: scalar.optional(),
  concurrency: scalar.optional(),
  rate: scalar.optional(),
  from: scalar.optional(),
  to: scalar.optional(),
  levels: z.union([z.string(), z.array(z.number())]).optional(),
  sweepOf: z.string().optional(),
  warmup: scalar.optional(),
  promptTokens: scalar.optional(),
  outputTokens: scalar.optional(),
  maxInFlight: scalar.optional(),
  overflow: z.string().optional(),
  dataset: z.string().optional(),
  datasetFormat: z.string().optional(),
  workers: scalar.optional(),
  timeout: scalar.optional(),
  seed: scalar.optional(),
  promptSalt: z.string().optional(),
  sharedPrefix: z.string().optional(),
});

/** An engine of the matrix: its catalog name and how `kitt run -e NAME` would be told to host it. */
export const campaignEngineSchema = z.strictObject({
  name: z.string().min(1, { error: 'an engine name (kitt engines list shows them)' }),
  mode: z.string().min(1).optional(),
  /** Flags passed through to the engine (`--engine-arg`). */
  args: z.array(z.string()).optional(),
  parallel: z.int().min(1).optional(),
  threads: z.int().min(1).optional(),
  image: z.string().min(1).optional(),
});

/** A limits profile: the config's `limits` (cpus, memory, memorySwap, pids) and the GPUs (`all`, or `0,2`). */
export const campaignLimitsSchema = limitsSchema.extend({
  gpus: z
    .union([z.string().min(1), z.array(z.int().min(0))], {
      error: '"all", GPU indices as a string ("0,2"), or a list of them ([0, 2])',
    })
    .optional(),
});

const PRIORITY = 'a whole number from -1000 to 1000 (higher runs first on the fleet)';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const campaignFileSchema = z.strictObject({
  /** Names the campaign in the store and its folder: letters, digits, `.`, `_` and `-`. */
  name: z.string().regex(NAME, { error: 'a name of letters, digits, ".", "_" and "-" (at most 64)' }),
  matrix: z.strictObject({
    /** Model files or folders; absent: the synthetic default model. */
    models: z.array(z.string().min(1)).min(1).optional(),
    engines: z.array(campaignEngineSchema).min(1),
    /** Absent: one profile, the config's limits. */
    limits: z.array(campaignLimitsSchema).min(1).optional(),
    loads: z.array(campaignLoadSchema).min(1),
    repeats: z.int().min(1).max(100).default(1),
    /** SLOs in kitt's one grammar (`ttft=500ms,tpot=50ms`); goodput is reported under each. */
    slos: z.array(z.string().min(1)).optional(),
  }),
  /**
   * On a kitt server's fleet, the priority of this campaign's jobs: higher is leased first (pg-boss
   * priority); default 0. A local run ignores it.
   */
  priority: z.int({ error: PRIORITY }).min(-1000, { error: PRIORITY }).max(1000, { error: PRIORITY }).optional(),
  constraints: z
    .strictObject({
      hosts: z.array(z.string().min(1)).min(1).optional(),
      gpuTypes: z.array(z.string().min(1)).min(1).optional(),
    })
    .optional(),
});

export type CampaignFile = z.infer<typeof campaignFileSchema>;
export type CampaignLoadEntry = z.infer<typeof campaignLoadSchema>;
export type CampaignEngineEntry = z.infer<typeof campaignEngineSchema>;
export type CampaignLimitsEntry = z.infer<typeof campaignLimitsSchema>;

const FIX = 'fix it in the campaign file (docs/campaign.md lists every key)';

/** The well-formed entries of a list at their own indexes (a sparse array: map and flatMap skip the holes). */
function entriesOf<T>(list: unknown, schema: z.ZodType<T>): T[] | undefined {
  if (!Array.isArray(list)) return undefined;
  const kept: T[] = [];
  list.forEach((entry, index) => {
    const parsed = schema.safeParse(entry);
    if (parsed.success) kept[index] = parsed.data;
  });
  return kept;
}

/**
 * The entries of a file that failed its schema which are well-formed each on its own, so their
 * values are checked too and the file's every problem is reported in one go, each at its own index.
 */
function salvageMatrix(input: unknown): CampaignFile['matrix'] {
  const matrix = ((input as { matrix?: unknown } | null)?.matrix ?? {}) as Record<string, unknown>;
  return {
    engines: entriesOf(matrix.engines, campaignEngineSchema) ?? [],
    loads: entriesOf(matrix.loads, campaignLoadSchema) ?? [],
    limits: entriesOf(matrix.limits, campaignLimitsSchema),
    models: entriesOf(matrix.models, z.string().min(1)),
    slos: entriesOf(matrix.slos, z.string().min(1)),
    repeats: 1,
  };
}

/** A campaign file as read: whole, or only the matrix entries that were well-formed (`valid: false`). */
export interface ReadCampaignFile {
  readonly file: CampaignFile;
  readonly valid: boolean;
}

/**
 * Parses a campaign file's text into `issues`, each with its key path (`matrix.loads[1].rate`).
 * A file that fails its schema still hands back its well-formed entries, for their values to be
 * checked too; undefined when it is not YAML at all. `source` names the file in messages.
 */
export function readCampaignFile(text: string, source: string, issues: OptionIssues): ReadCampaignFile | undefined {
  let input: unknown;
  try {
    input = parseYaml(text);
  } catch (error) {
    return issues.add(
      `campaign file ${source} is not YAML: ${(error as Error).message.split('\n')[0]}`,
      'write the campaign as YAML (docs/campaign.md has a full example)',
    );
  }
  const parsed = campaignFileSchema.safeParse(input ?? {});
  if (parsed.success) return { file: parsed.data, valid: true };
  for (const issue of describeIssues(campaignFileSchema, input, parsed.error.issues)) {
    issues.add(`${issue.keyPath || source}: ${issue.message}`, FIX);
  }
  return { file: { name: 'invalid', matrix: salvageMatrix(input) }, valid: false };
}
