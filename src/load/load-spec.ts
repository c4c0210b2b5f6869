import { z } from 'zod';
import { KittError } from '../core/errors.js';
import { promptSpecSchema } from './prompt-spec.js';

/**
 * What load to apply, as data. A discriminated union on `kind` (kebab-case, as k6 executors):
 *
 *   synchronous        one request at a time, the next when the last ends
 *   fixed-concurrency  closed loop: `concurrency` requests always in flight
 *   constant-rate      open loop: arrivals every 1/rate s, whatever the answers do
 *   poisson            open loop: exponential gaps with mean 1/rate s, seeded
 *   ramp-rate          open loop: rate moves linearly from `from` to `to` over `durationS`
 *   ramp-concurrency   closed loop: concurrency moves from `from` to `to` over `durationS`
 *   sweep              runs another kind at each of `levels` (rates or concurrencies), one stage each
 *
 * Limits: `requests` and/or `durationS` end the measured phase (the first reached). Warmup and
 * cooldown run before and after it, by count or by time, and are tagged so results exclude them.
 * Open-loop kinds may cap in-flight requests (`maxInFlight`); an arrival that finds no free slot
 * waits (`overflow: 'queue'`, its latency still counts from the scheduled time) or is dropped and counted.
 */
const phaseLimitSchema = z
  .object({ requests: z.number().int().nonnegative().optional(), durationS: z.number().nonnegative().optional() })
  .strict()
  .refine((v) => (v.requests === undefined) !== (v.durationS === undefined), {
    message: 'give either requests or durationS',
  });
export type PhaseLimit = z.infer<typeof phaseLimitSchema>;

const positive = z.number().positive();

const commonFields = {
  /** Measured requests (warmup and cooldown come on top). */
  requests: z.number().int().positive().optional(),
  /** Measured duration in seconds. */
  durationS: positive.optional(),
  warmup: phaseLimitSchema.optional(),
  cooldown: phaseLimitSchema.optional(),
  /** Per-request deadline in seconds. */
  timeoutS: positive.default(300),
  /** Split the load over this many worker threads (each with its own event loop and connections). */
  workers: z.number().int().positive().max(64).default(1),
  /**
   * Where token arrivals are stamped: `socket` (when the bytes reached the client's socket, noted by
   * a native thread; the event loop where it is not built) or `event-loop` (when the loop read them:
   * 50–61k SSE events per client CPU-second against 28–35k, stamps late by the loop's stalls).
   * Default: socket. docs/metrics.md.
   */
  stamps: z.enum(['socket', 'event-loop']).optional(),
  prompts: promptSpecSchema.optional(),
  /** Seconds to wait for in-flight requests after the last send (and after an interrupt, at most 5 s). */
  drainS: z.number().nonnegative().default(60),
};

const openLoopFields = {
  ...commonFields,
  maxInFlight: z.number().int().positive().optional(),
  overflow: z.enum(['queue', 'drop']).default('queue'),
  /**
   * Pacing precision: wait with setTimeout until `spinMs` before each send, then spin on
   * setImmediate (busy, but sub-0.1 ms lateness). 0 = timers only (~1 ms late, idle CPU).
   */
  spinMs: z.number().nonnegative().max(5).default(1),
};

/**
 * Seconds over which a fixed concurrency's users make their first sends (0: all in one tick).
 * Streams opened together stay in step, answer by answer, and their tokens then arrive in bursts
 * that the client stamps late; by default they are spread over 5 ms a user, at most 1 s.
 */
const startSpreadS = z.number().nonnegative().max(60).optional();

const synchronous = z.object({ kind: z.literal('synchronous'), ...commonFields }).strict();
const fixedConcurrency = z
  .object({
    kind: z.literal('fixed-concurrency'),
    concurrency: z.number().int().positive(),
    startSpreadS,
    ...commonFields,
  })
  .strict();
const constantRate = z.object({ kind: z.literal('constant-rate'), rate: positive, ...openLoopFields }).strict();
const poisson = z
  .object({ kind: z.literal('poisson'), rate: positive, seed: z.number().int().default(1), ...openLoopFields })
  .strict();
const rampRate = z
  .object({
    kind: z.literal('ramp-rate'),
    from: z.number().nonnegative(),
    to: z.number().nonnegative(),
    ...openLoopFields,
    durationS: positive,
  })
  .strict();
const rampConcurrency = z
  .object({
    kind: z.literal('ramp-concurrency'),
    from: z.number().int().positive(),
    to: z.number().int().positive(),
    ...commonFields,
    durationS: positive,
  })
  .strict();
const sweep = z
  .object({
    kind: z.literal('sweep'),
    of: z.enum(['constant-rate', 'poisson', 'fixed-concurrency']),
    /** Rates (req/s) or concurrencies, one stage each, in the order given. */
    levels: z.array(positive).min(1),
    seed: z.number().int().default(1),
    startSpreadS,
    ...openLoopFields,
  })
  .strict();

export const loadSpecSchema = z.discriminatedUnion('kind', [
  synchronous,
  fixedConcurrency,
  constantRate,
  poisson,
  rampRate,
  rampConcurrency,
  sweep,
]);

export type LoadSpec = z.infer<typeof loadSpecSchema>;
export type LoadSpecInput = z.input<typeof loadSpecSchema>;
export type LoadKind = LoadSpec['kind'];
export type OpenLoopSpec = Extract<LoadSpec, { kind: 'constant-rate' | 'poisson' | 'ramp-rate' }>;
export type ClosedLoopSpec = Extract<LoadSpec, { kind: 'synchronous' | 'fixed-concurrency' | 'ramp-concurrency' }>;
/** One stage of a run: any kind but sweep. */
export type StageSpec = Exclude<LoadSpec, { kind: 'sweep' }>;

export const LOAD_KINDS: readonly LoadKind[] = [
  'synchronous',
  'fixed-concurrency',
  'constant-rate',
  'poisson',
  'ramp-rate',
  'ramp-concurrency',
  'sweep',
];

export interface SpecIssue {
  /** Dotted path to the field, e.g. `warmup.requests`; empty for the spec itself. */
  readonly path: string;
  readonly message: string;
}

export type SpecValidation =
  | { readonly ok: true; readonly spec: LoadSpec }
  | { readonly ok: false; readonly issues: SpecIssue[] };

/** Checks a spec and returns every problem at once (never just the first). */
export function validateLoadSpec(input: unknown): SpecValidation {
  const kind = (input as { kind?: unknown } | null)?.kind;
  if (typeof input !== 'object' || input === null) {
    return { ok: false, issues: [{ path: '', message: 'a load spec is an object with a kind' }] };
  }
  if (typeof kind !== 'string' || !(LOAD_KINDS as readonly string[]).includes(kind)) {
    const shown = kind === undefined ? 'no kind' : `unknown kind ${JSON.stringify(kind)}`;
    return { ok: false, issues: [{ path: 'kind', message: `${shown}; valid kinds: ${LOAD_KINDS.join(', ')}` }] };
  }
  const parsed = loadSpecSchema.safeParse(input);
  const issues: SpecIssue[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  const raw = input as Record<string, unknown>;
  if (
    raw.requests === undefined &&
    raw.durationS === undefined &&
    kind !== 'ramp-rate' &&
    kind !== 'ramp-concurrency'
  ) {
    issues.push({ path: 'requests', message: 'give requests and/or durationS: a run needs an end' });
  }
  if (
    (kind === 'synchronous' || kind === 'fixed-concurrency' || kind === 'ramp-concurrency') &&
    raw.maxInFlight !== undefined
  ) {
    issues.push({ path: 'maxInFlight', message: `${kind} is closed-loop: its concurrency is already the cap` });
  }
  if (
    kind === 'sweep' &&
    raw.of === 'fixed-concurrency' &&
    (raw.maxInFlight !== undefined || raw.overflow !== undefined)
  ) {
    // stageSpecs would drop them: a closed-loop level is its own cap
    issues.push({
      path: 'maxInFlight',
      message: 'a sweep of fixed-concurrency is closed-loop: its levels are the cap',
    });
  }
  if (issues.length > 0 || !parsed.success) return { ok: false, issues };
  return { ok: true, spec: parsed.data };
}

/** validateLoadSpec for callers that want a KittError listing every issue. */
export function parseLoadSpec(input: unknown): LoadSpec {
  const result = validateLoadSpec(input);
  if (result.ok) return result.spec;
  const listed = result.issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message));
  const unknownKind = result.issues.some((issue) => issue.path === 'kind' && issue.message.includes('valid kinds'));
  throw new KittError(unknownKind ? 'UNKNOWN_KIND' : 'CONFIG_INVALID', `invalid load spec: ${listed.join('; ')}`, {
    hint: 'fix the fields named above; docs/load.md lists every kind and option',
    details: { issues: result.issues },
  });
}
