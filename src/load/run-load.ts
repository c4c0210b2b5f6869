import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { BoundedReadError, type ReadLimits, requestBounded } from '../core/bounded-request.js';
import { anchorWallClock, type Clock, monotonicClock, type WallAnchor } from '../core/clock.js';
import { type Progress, silentProgress } from '../core/progress.js';
import { counterDeltas, type PromScrape, parsePrometheusText } from '../metrics/prometheus-text.js';
import type { RequestRecord } from '../metrics/request-record.js';
import { type LoadPlan, planLoad } from './load-plan.js';
import type { LoadSpec, StageSpec } from './load-spec.js';
import { LoadTally } from './load-tally.js';
import { type LoadTarget, splitBaseUrl } from './load-target.js';
import { type PreparedPrompts, preparePrompts } from './prompt-source.js';
import { DEFAULT_PROMPTS } from './prompt-spec.js';
import { type SelfCheck, selfCheckWarnings, startSelfCheck } from './self-check.js';
import { SocketStamps } from './socket-stamps.js';
import { runStage, type StageOutcome } from './stage-runner.js';
import { tokenizeClient } from './tokenize-client.js';

/**
 * runLoad: plan, prepare prompts, read the engine's counters, run every stage, read the counters
 * again, and return the stages' windows with the client's self-check. Each record goes to
 * `onRecord` as it completes and is not kept (unless `keepRecords`), so memory does not grow with
 * the run. Never throws for request failures (they are records); on abort it stops sending, waits
 * briefly for requests in flight and returns what it has, marked interrupted.
 */
export interface RunLoadOptions {
  readonly signal?: AbortSignal;
  readonly progress?: Progress;
  readonly clock?: Clock;
  /** Prompts prepared by the caller (e.g. shared by several runs); default: prepared from spec.prompts. */
  readonly prompts?: PreparedPrompts;
  /** Put in each request's x-request-id header (`<tag>-<id>`). */
  readonly requestTag?: string;
  /** Called with each record as it completes: the run's sinks (accumulators, requests.jsonl, live monitoring). */
  readonly onRecord?: (record: RequestRecord) => void;
  /**
   * Called once per stage with the scheduled time of its first measured arrival, before any
   * measured record of a ramp stage reaches onRecord (a ramp's slices count from it).
   */
  readonly onMeasureStart?: (stage: number, scheduledAtMs: number) => void;
  /** Also return every record in LoadResult.records (by id). For short windows and tests only: it grows with the run. */
  readonly keepRecords?: boolean;
  /**
   * Internal: this thread runs shard `index` of `count` (worker threads); the first stage starts at
   * `startAtEpochMs` (performance.timeOrigin + now), the same instant for every shard.
   */
  readonly shard?: { readonly index: number; readonly count: number; readonly startAtEpochMs?: number };
}

export interface MeasuredWindow {
  /** First measured request's scheduled time (monotonic ms, the run's clock). */
  readonly startMs: number;
  /** Last measured request's end. */
  readonly endMs: number;
}

export interface StageResult {
  readonly stage: number;
  readonly level?: number;
  readonly window: MeasuredWindow | null;
  readonly dropped: number;
  /** Largest number of arrivals waiting for a slot at once. */
  readonly maxQueued: number;
}

export interface EngineCounters {
  /** after − before of every counter series of the engine's /metrics (`name{labels}` → delta). */
  readonly deltas: Readonly<Record<string, number>>;
  /** The counters were read before the first and after the last request: warmup and cooldown included. */
  readonly covers: 'all-phases';
  readonly before: PromScrape;
  readonly after: PromScrape;
}

export interface LoadResult {
  /** Records the run made (each went to onRecord). */
  readonly requests: number;
  /** Every record by id, only with `keepRecords`. */
  readonly records?: RequestRecord[];
  readonly selfCheck: SelfCheck;
  /** Measured window over all stages (null when nothing was measured). */
  readonly window: MeasuredWindow | null;
  readonly stages: readonly StageResult[];
  readonly engineCounters?: EngineCounters;
  readonly warnings: string[];
  readonly interrupted: boolean;
  readonly plan: LoadPlan;
  /** Turns the records' monotonic times into wall-clock times for storage. */
  readonly wallAnchor: WallAnchor;
}

/**
 * Distinct prompts prepared before the run (each checked with the tokenizer when there is one);
 * requests cycle through them, and cache busting makes every request unique anyway.
 */
const PROMPT_POOL = 512;

/**
 * The connections a shard may open: as many as it can have in flight. A closed loop's shard spec
 * already holds its share of the users (shardSpec), so its plan's concurrency is this shard's own;
 * an open loop's cap is the whole run's, divided as the stage runner divides it. (Dividing a
 * closed loop's share again left half its users queued inside the pool behind the others.)
 */
function shardConnections(plan: LoadPlan, shards: number): number | null {
  if (plan.maxConcurrency === null) return null;
  const openLoop = plan.stages.some((stage) => stage.openLoop);
  return openLoop ? Math.max(1, Math.round(plan.maxConcurrency / shards)) : plan.maxConcurrency;
}

export function runLoad(
  spec: LoadSpec,
  target: LoadTarget,
  options: RunLoadOptions & { keepRecords: true },
): Promise<LoadResult & { records: RequestRecord[] }>;
export function runLoad(spec: LoadSpec, target: LoadTarget, options?: RunLoadOptions): Promise<LoadResult>;
export async function runLoad(spec: LoadSpec, target: LoadTarget, options: RunLoadOptions = {}): Promise<LoadResult> {
  if (spec.workers > 1 && !options.shard) {
    const { runSharded } = await import('./run-sharded.js');
    return runSharded(spec, target, options);
  }
  const clock = options.clock ?? monotonicClock;
  const progress = options.progress ?? silentProgress;
  const plan = planLoad(spec);
  const warnings = capabilityWarnings(target);
  let prompts: PreparedPrompts;
  try {
    prompts = options.prompts ?? (await prepareFor(spec, target, plan, options.signal));
  } catch (error) {
    if (!options.signal?.aborted) throw error;
    prompts = { prompts: [], exactInputLengths: false, warnings: ['interrupted while preparing prompts'] };
  }
  warnings.push(...prompts.warnings);
  const scrapeFailed = (reason: string) => warnings.push(reason);
  const before = options.shard ? null : await scrapeEngineCounters(target, scrapeFailed);
  const { origin } = splitBaseUrl(target.baseUrl);
  // socket stamps are on performance.now()'s clock: a caller's own clock keeps the loop's stamps
  const ownClock = clock === monotonicClock;
  const stamps = SocketStamps.open(ownClock ? spec.stamps : 'event-loop');
  // asked for (the default) and not to be had: the run says why its stamps are the loop's
  if (ownClock && spec.stamps !== 'event-loop' && stamps.reason !== null) {
    warnings.push(`token arrivals are stamped on the event loop: ${stamps.reason}`);
  }
  const pool = new Pool(origin, {
    ...stamps.poolOptions(),
    connections: shardConnections(plan, options.shard?.count ?? 1),
    pipelining: 1,
    keepAliveTimeout: 60_000,
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  const wallAnchor = anchorWallClock(clock);
  const probe = startSelfCheck(() => clock.nowMs());
  const openLoop = plan.stages.some((s) => s.openLoop);
  const tally = new LoadTally(options.keepRecords ?? false, openLoop);
  const onRecord = (record: RequestRecord) => {
    tally.add(record);
    options.onRecord?.(record);
  };
  const outcomes: StageOutcome[] = [];
  let spunMs = 0;
  try {
    for (const stagePlan of plan.stages) {
      if (options.signal?.aborted || prompts.prompts.length === 0) break;
      if (progress.load) {
        progress.load({
          kind: 'stage-start',
          atMs: clock.nowMs(),
          stage: stagePlan.stage,
          stages: plan.stages.length,
          label: stageLabel(stagePlan.spec),
          requests: stagePlan.requests,
          durationS: stagePlan.durationS,
        });
      } else {
        progress.phase(
          stagePlan.level === undefined ? stagePlan.spec.kind : `${stagePlan.spec.kind} ${stagePlan.level}`,
          stagePlan.requests ?? undefined,
        );
      }
      // the stage ends for the view even when it throws, so a live line stops redrawing
      const outcome = await runStage(stagePlan, {
        pool,
        stamps,
        target,
        prompts: prompts.prompts,
        clock,
        progress,
        signal: options.signal,
        requestTag: options.requestTag,
        onRecord,
        onMeasureStart: options.onMeasureStart,
        shard: options.shard ?? { index: 0, count: 1 },
        idBase: tally.nextId,
        ...(outcomes.length === 0 && options.shard?.startAtEpochMs !== undefined
          ? { startAtMs: options.shard.startAtEpochMs - performance.timeOrigin }
          : {}),
      }).finally(() => progress.load?.({ kind: 'stage-end', atMs: clock.nowMs() }));
      spunMs += outcome.spunMs;
      outcomes.push(outcome);
      if (!progress.load) progress.end(`${outcome.requests} requests`);
    }
  } finally {
    await pool.close().catch(() => undefined);
  }
  const selfCheck = probe.stop(tally.lateness, openLoop, spunMs, stamps.figures());
  if (!options.shard) warnings.push(...tally.warnings(), ...selfCheckWarnings(selfCheck));
  const after = before ? await scrapeEngineCounters(target, scrapeFailed) : null;
  const stages = outcomes.map(
    (o): StageResult => ({
      stage: o.stage,
      ...(o.level === undefined ? {} : { level: o.level }),
      window: o.window,
      dropped: o.dropped,
      maxQueued: o.maxQueued,
    }),
  );
  return loadResultOf(tally, {
    selfCheck,
    stages,
    counters: { before, after },
    warnings,
    interrupted: options.signal?.aborted ?? false,
    plan,
    wallAnchor,
  });
}

/**
 * A run's result from what its runner tallied, for one process or the merged shards alike: the
 * window spans every stage's, and engine counters count only when read before and after.
 */
export function loadResultOf(
  tally: LoadTally,
  parts: Pick<LoadResult, 'selfCheck' | 'stages' | 'warnings' | 'interrupted' | 'plan' | 'wallAnchor'> & {
    readonly counters: { readonly before: PromScrape | null; readonly after: PromScrape | null };
  },
): LoadResult {
  return {
    requests: tally.requests,
    ...tally.records(),
    selfCheck: parts.selfCheck,
    window: mergeWindows(parts.stages.map((s) => s.window)),
    stages: parts.stages,
    ...engineCountersBetween(parts.counters.before, parts.counters.after),
    warnings: parts.warnings,
    interrupted: parts.interrupted,
    plan: parts.plan,
    wallAnchor: parts.wallAnchor,
  };
}

/** How progress names a stage: its kind and what it offers (`constant-rate 4/s`, `fixed-concurrency 8 users`). */
export function stageLabel(spec: StageSpec): string {
  switch (spec.kind) {
    case 'constant-rate':
    case 'poisson':
      return `${spec.kind} ${spec.rate}/s`;
    case 'ramp-rate':
      return `${spec.kind} ${spec.from}→${spec.to}/s`;
    case 'fixed-concurrency':
      return `${spec.kind} ${spec.concurrency} users`;
    case 'ramp-concurrency':
      return `${spec.kind} ${spec.from}→${spec.to} users`;
    case 'synchronous':
      return 'synchronous';
  }
}

export function mergeWindows(windows: readonly (MeasuredWindow | null)[]): MeasuredWindow | null {
  const present = windows.filter((w): w is MeasuredWindow => w !== null);
  if (present.length === 0) return null;
  return {
    startMs: Math.min(...present.map((w) => w.startMs)),
    endMs: Math.max(...present.map((w) => w.endMs)),
  };
}

function capabilityWarnings(target: LoadTarget): string[] {
  const warnings: string[] = [];
  if (!target.supports.ignoreEos) {
    warnings.push(
      target.api === 'ollama-generate' || target.api === 'ollama-chat'
        ? 'Ollama has no ignore_eos: num_predict is only an upper bound, so output lengths vary and TPOT/throughput compare only with care'
        : 'the server does not support ignore_eos: max_tokens is only an upper bound, so output lengths vary',
    );
  }
  if (target.stream === false)
    warnings.push('non-streamed requests: TTFT and ITL cannot be measured, only end-to-end latency');
  return warnings;
}

async function prepareFor(
  spec: LoadSpec,
  target: LoadTarget,
  plan: LoadPlan,
  signal: AbortSignal | undefined,
): Promise<PreparedPrompts> {
  const count = Math.min(PROMPT_POOL, Math.max(1, plan.requests ?? PROMPT_POOL));
  const promptSpec = spec.prompts ?? DEFAULT_PROMPTS;
  const countTokens = target.supports.tokenize
    ? tokenizeClient(target.baseUrl, target.model, signal, undefined, target.headers)
    : undefined;
  if (!countTokens) return preparePrompts(promptSpec, { count });
  try {
    return await preparePrompts(promptSpec, { count, countTokens });
  } catch (error) {
    if (signal?.aborted || (error as { code?: string }).code === 'DATASET_INVALID') throw error;
    const fallback = await preparePrompts(promptSpec, { count });
    const why = `POST /tokenize failed (${(error as Error).message}): input lengths are approximate`;
    return { ...fallback, warnings: [why, ...fallback.warnings.filter((w) => !w.startsWith('no tokenizer'))] };
  }
}

/**
 * Limits of one /metrics read. vLLM's text is ~100 KiB with every histogram; 4 MiB leaves room for
 * many models and LoRA adapters and bounds the parse (a 50 MB answer cost 2.2 GB unbounded).
 */
export const METRICS_READ_LIMITS: ReadLimits = { maxBytes: 4 * 1024 * 1024, deadlineMs: 5_000 };

/** The target's counters (its metricsPath, default /metrics); null when it has none or does not answer. */
export function scrapeEngineCounters(
  target: LoadTarget,
  onFailure?: (reason: string) => void,
): Promise<PromScrape | null> {
  return target.metricsPath === null
    ? Promise.resolve(null)
    : scrapeMetrics(target.baseUrl, target.metricsPath ?? '/metrics', onFailure, target.headers);
}

/** The result's engineCounters field, present when both readings were taken. */
function engineCountersBetween(
  before: PromScrape | null,
  after: PromScrape | null,
): { engineCounters?: EngineCounters } {
  return before && after
    ? { engineCounters: { deltas: counterDeltas(before, after), covers: 'all-phases', before, after } }
    : {};
}

/**
 * Reads an engine's Prometheus text within METRICS_READ_LIMITS; null when it has none, does not
 * answer, or breaks a limit (`onFailure` hears why when the answer was too slow or too large).
 */
export async function scrapeMetrics(
  baseUrl: string,
  path: string,
  onFailure?: (reason: string) => void,
  /** The target's headers (its key): a server behind a key guards /metrics too. */
  headers?: Readonly<Record<string, string>>,
): Promise<PromScrape | null> {
  const { origin, prefix } = splitBaseUrl(baseUrl);
  try {
    const response = await requestBounded(`${origin}${prefix}${path}`, {
      ...METRICS_READ_LIMITS,
      ...(headers ? { headers: { ...headers } } : {}),
    });
    return response.statusCode === 200 ? parsePrometheusText(response.body.toString('utf8')) : null;
  } catch (error) {
    if (error instanceof BoundedReadError) onFailure?.(`${error.message} (${error.kind}): engine counters skipped`);
    return null;
  }
}
