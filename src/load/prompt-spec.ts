import { z } from 'zod';

/**
 * A length (in tokens) drawn per request: a plain number is fixed; otherwise fixed, uniform
 * (integers in [min, max]) or normal (rounded, clamped to [min, max], min defaults to 1).
 */
export const lengthSchema = z.union([
  z.number().int().positive(),
  z.object({ kind: z.literal('fixed'), value: z.number().int().positive() }).strict(),
  z
    .object({ kind: z.literal('uniform'), min: z.number().int().positive(), max: z.number().int().positive() })
    .strict()
    .refine((v) => v.min <= v.max, { message: 'min must not exceed max', path: ['max'] }),
  z
    .object({
      kind: z.literal('normal'),
      mean: z.number().positive(),
      std: z.number().nonnegative(),
      min: z.number().int().positive().optional(),
      max: z.number().int().positive().optional(),
    })
    .strict(),
]);
export type LengthSpec = z.infer<typeof lengthSchema>;

const syntheticSchema = z
  .object({
    kind: z.literal('synthetic'),
    /** Input tokens per prompt, shared prefix and cache-bust marker included. */
    inputTokens: lengthSchema.default(128),
    outputTokens: lengthSchema.default(128),
    /** Prompts in a group share their first `tokens` tokens (prefix-cache workloads). */
    sharedPrefix: z
      .object({ tokens: z.number().int().positive(), groups: z.number().int().positive().default(1) })
      .strict()
      .optional(),
    /** Put a unique marker in front of every prompt (after the shared prefix) so no cache can answer it. */
    cacheBust: z.boolean().default(true),
    seed: z.number().int().default(1),
  })
  .strict();

const datasetSchema = z
  .object({
    kind: z.literal('dataset'),
    path: z.string().min(1),
    /** jsonl: {"prompt": ..., "max_tokens"?: n} per line; sharegpt: [{"conversations": [{"from": "human", ...}]}]. */
    format: z.enum(['jsonl', 'sharegpt']).default('jsonl'),
    /** Output tokens when a row does not say. */
    outputTokens: lengthSchema.default(128),
    /** Visit rows in a seeded random order instead of file order. */
    shuffle: z.boolean().default(false),
    seed: z.number().int().default(1),
  })
  .strict();

export const promptSpecSchema = z.discriminatedUnion('kind', [syntheticSchema, datasetSchema]);
export type PromptSpec = z.infer<typeof promptSpecSchema>;
export type PromptSpecInput = z.input<typeof promptSpecSchema>;

export const DEFAULT_PROMPTS: PromptSpec = {
  kind: 'synthetic',
  inputTokens: 128,
  outputTokens: 128,
  cacheBust: true,
  seed: 1,
};
