import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { KittError } from '../core/errors.js';

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

const SALT_PATTERN = /^[0-9a-z]{1,32}$/;

/** A fresh prompt salt: 32 random bits as hex. */
export function drawSalt(): string {
  return randomBytes(4).toString('hex');
}

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
    /**
     * With cacheBust, three words derived from the salt open every prompt, so two runs with the same
     * seed still send different prompts to a server that stays up (its prompt cache would answer the
     * second run's prefill). Drawn afresh for every parsed spec and recorded with it; pass the
     * recorded one (`--prompt-salt`) to replay a run's prompts exactly.
     */
    salt: z
      .string()
      .regex(SALT_PATTERN, { message: 'a salt is 1 to 32 characters of 0-9 and a-z, e.g. 3f9a0c21' })
      .default(drawSalt),
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
type ParsedPromptSpec = z.infer<typeof promptSpecSchema>;
/**
 * A prompt spec as the load takes it. A parsed spec always carries its salt; a spec written in code
 * (a default) may leave it out, and then each preparation draws one.
 */
export type PromptSpec = ParsedPromptSpec extends infer S
  ? S extends { kind: 'synthetic'; salt: string }
    ? Omit<S, 'salt'> & { readonly salt?: string }
    : S
  : never;
export type PromptSpecInput = z.input<typeof promptSpecSchema>;

export const DEFAULT_PROMPTS: PromptSpec = {
  kind: 'synthetic',
  inputTokens: 128,
  outputTokens: 128,
  cacheBust: true,
  seed: 1,
};

/** `--shared-prefix TOKENSxGROUPS` (or `TOKENS`, one group): the synthetic spec's sharedPrefix. */
export function parseSharedPrefix(text: string): { tokens: number; groups: number } {
  const match = /^(\d+)(?:x(\d+))?$/.exec(text.trim());
  const tokens = Number(match?.[1]);
  const groups = match?.[2] === undefined ? 1 : Number(match[2]);
  if (!match || !(tokens > 0) || !(groups > 0)) {
    throw new KittError('USAGE', `--shared-prefix must be TOKENSxGROUPS, got "${text}"`, {
      hint: 'e.g. --shared-prefix 512x4 (4 groups of prompts, each sharing its first 512 tokens)',
    });
  }
  return { tokens, groups };
}
