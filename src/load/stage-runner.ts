import type { Pool } from 'undici';
import type { Clock } from '../core/clock.js';
import type { Progress } from '../core/progress.js';
import type { RequestRecord, RunPhase } from '../metrics/request-record.js';
import { PhaseTracker, type StagePlan, stageSchedule } from './load-plan.js';
import type { StageSpec } from './load-spec.js';
import type { LoadTarget } from './load-target.js';
import { Pacer } from './pacer.js';
import type { PreparedPrompt } from './request-body.js';
import {
  droppedRecord,
  endpointFor,
  type InFlightRequest,
  type RequestSlot,
  type SendOptions,
  sendRequest,
} from './send-request.js';
import type { SocketStamps } from './socket-stamps.js';

export interface StageContext {
  readonly pool: Pool;
  /** Where arrivals are stamped (the socket stamper, or the loop when it is off). */
  readonly stamps?: SocketStamps;
  readonly target: LoadTarget;
  readonly prompts: readonly PreparedPrompt[];
  readonly clock: Clock;
  readonly progress: Progress;
  readonly signal: AbortSignal | undefined;
  readonly requestTag: string | undefined;
  readonly shard: { readonly index: number; readonly count: number };
  /** First request id of this stage (ids stay unique across stages and shards). */
  readonly idBase: number;
  /** When the stage's schedule starts on ctx.clock (default: now plus a short lead). */
  readonly startAtMs?: number;
  /** Called with each record as it completes (the run's sinks); must be cheap and never throw. */
  readonly onRecord?: ((record: RequestRecord) => void) | undefined;
  /**
   * Called once per stage with the scheduled time of its first measured arrival (the smallest of
   * the stage's measured records), before any measured record of the stage completes.
   */
  readonly onMeasureStart?: ((stage: number, scheduledAtMs: number) => void) | undefined;
}

export interface StageOutcome {
  readonly stage: number;
  readonly level?: number;
  /** Records the stage made (each went to ctx.onRecord; none is kept). */
  readonly requests: number;
  readonly window: { startMs: number; endMs: number } | null;
  readonly dropped: number;
  readonly maxQueued: number;
  readonly spunMs: number;
}

/** After an interrupt, requests in flight get this long to finish before they are cut. */
const INTERRUPT_GRACE_MS = 5000;
/** Lead time between planning the stage and its first send. */
const START_LEAD_MS = 5;

/**
 * Tracks requests in flight for one stage: launches them, hands each record on as it completes
 * (counting them and their measured window, keeping none), and drains (waits for all, bounded) at
 * the end or on interrupt.
 */
class InFlight {
  /** Records so far. */
  count = 0;
  /** The measured window: first measured schedule → last measured end. */
  private startMs = Number.POSITIVE_INFINITY;
  private endMs = Number.NEGATIVE_INFINITY;
  private measureAnnounced = false;
  private readonly active = new Set<InFlightRequest>();
  private idle: (() => void) | null = null;
  private lastProgressMs = 0;
  /** Records with an error so far (progress shows it; counting them anew each time grew with the run). */
  private failed = 0;
  private readonly sendOptions: SendOptions;
  onSettled: (() => void) | null = null;

  constructor(
    private readonly ctx: StageContext,
    private readonly stage: number,
    timeoutMs: number,
  ) {
    this.sendOptions = {
      clock: ctx.clock,
      ...(ctx.stamps ? { stamps: ctx.stamps } : {}),
      endpoint: endpointFor(ctx.target),
      timeoutMs,
      ...(ctx.requestTag === undefined ? {} : { requestTag: ctx.requestTag }),
    };
  }

  get size(): number {
    return this.active.size;
  }

  launch(slot: RequestSlot): Promise<RequestRecord> {
    const { ctx } = this;
    const prompt = ctx.prompts[slot.id % ctx.prompts.length]!;
    const inFlight = sendRequest(ctx.pool, ctx.target, prompt, slot, this.sendOptions);
    this.active.add(inFlight);
    return inFlight.done.then((record) => {
      this.active.delete(inFlight);
      this.record(record);
      this.reportProgress();
      this.onSettled?.();
      if (this.active.size === 0) this.idle?.();
      return record;
    });
  }

  /** Says where the measured phase starts, at its first arrival (before its record can exist). */
  scheduled(phase: RunPhase, scheduledAtMs: number): void {
    if (phase !== 'measure' || this.measureAnnounced) return;
    this.measureAnnounced = true;
    this.ctx.onMeasureStart?.(this.stage, scheduledAtMs);
  }

  get window(): { startMs: number; endMs: number } | null {
    return Number.isFinite(this.startMs) ? { startMs: this.startMs, endMs: this.endMs } : null;
  }

  record(record: RequestRecord): void {
    this.count++;
    if (record.phase === 'measure') {
      if (record.scheduledAtMs < this.startMs) this.startMs = record.scheduledAtMs;
      if (record.endAtMs > this.endMs) this.endMs = record.endAtMs;
    }
    if (record.error) this.failed++;
    this.ctx.onRecord?.(record);
    const { progress, clock } = this.ctx;
    progress.load?.({
      kind: 'request-done',
      atMs: clock.nowMs(),
      ttftMs:
        record.firstContentAtMs === null || record.sentAtMs === null ? null : record.firstContentAtMs - record.sentAtMs,
      failed: record.error !== null,
      inFlight: this.active.size,
    });
  }

  /** Waits until nothing is in flight, at most `limitMs`; then cuts what is left (records say 'aborted'). */
  async drain(limitMs: number): Promise<void> {
    if (this.active.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, limitMs);
        this.idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const left = [...this.active];
    for (const request of left) request.abort();
    await Promise.all(left.map((request) => request.done));
    // Let the `.then` above record them.
    await new Promise((resolve) => setImmediate(resolve));
  }

  private reportProgress(): void {
    // a Progress that takes load events heard about this request in record()
    if (this.ctx.progress.load) return;
    const now = this.ctx.clock.nowMs();
    if (now - this.lastProgressMs < 250) return;
    this.lastProgressMs = now;
    this.ctx.progress.update(this.count, `${this.active.size} in flight, ${this.failed} errors`);
  }
}

export async function runStage(plan: StagePlan, ctx: StageContext): Promise<StageOutcome> {
  const spec = plan.spec;
  const body =
    spec.kind === 'constant-rate' || spec.kind === 'poisson' || spec.kind === 'ramp-rate'
      ? await runOpenLoop(spec, plan, ctx)
      : await runClosedLoop(spec, plan, ctx);
  return { stage: plan.stage, ...(plan.level === undefined ? {} : { level: plan.level }), ...body };
}

type OpenSpec = Extract<StageSpec, { kind: 'constant-rate' | 'poisson' | 'ramp-rate' }>;
type ClosedSpec = Extract<StageSpec, { kind: 'synchronous' | 'fixed-concurrency' | 'ramp-concurrency' }>;
type Body = Omit<StageOutcome, 'stage' | 'level'>;

/** A waiting arrival: scheduled, not yet sent because every slot was taken. */
interface Waiting {
  readonly id: number;
  readonly phase: RunPhase;
  readonly scheduledAtMs: number;
}

/**
 * Open loop: every arrival is sent at its scheduled time, whatever the answers do. The shard walks
 * the whole schedule (so phases match the single-process run) and sends its own share.
 */
async function runOpenLoop(spec: OpenSpec, plan: StagePlan, ctx: StageContext): Promise<Body> {
  const { clock, signal, shard } = ctx;
  const schedule = stageSchedule(spec);
  const tracker = new PhaseTracker(spec);
  const pacer = new Pacer(clock, spec.spinMs);
  const flights = new InFlight(ctx, plan.stage, spec.timeoutS * 1000);
  const cap =
    spec.maxInFlight === undefined ? Number.POSITIVE_INFINITY : Math.max(1, Math.round(spec.maxInFlight / shard.count));
  // FIFO of waiting arrivals; a plain array with a moving head (amortised O(1)).
  const queue: Waiting[] = [];
  let head = 0;
  let dropped = 0;
  let maxQueued = 0;
  const startMs = ctx.startAtMs ?? clock.nowMs() + START_LEAD_MS;
  flights.onSettled = () => {
    while (head < queue.length && flights.size < cap && !signal?.aborted) {
      const waiting = queue[head++]!;
      void flights.launch({ ...waiting, stage: plan.stage, queuedMs: clock.nowMs() - waiting.scheduledAtMs });
    }
  };
  for (let n = 0; ; n++) {
    if (signal?.aborted) break;
    const offsetMs = schedule.next();
    if (!Number.isFinite(offsetMs)) break;
    const phase = tracker.assign(offsetMs);
    if (phase === null) break;
    if (n % shard.count !== shard.index) continue;
    const scheduledAtMs = startMs + offsetMs;
    await pacer.until(scheduledAtMs);
    if (signal?.aborted) break;
    const id = ctx.idBase + n;
    // launched, dropped or queued, this arrival becomes a record with this scheduled time
    flights.scheduled(phase, scheduledAtMs);
    if (flights.size < cap && head === queue.length) {
      void flights.launch({ id, phase, stage: plan.stage, scheduledAtMs, queuedMs: 0 });
    } else if (spec.overflow === 'drop') {
      dropped++;
      flights.record(droppedRecord({ id, phase, stage: plan.stage, scheduledAtMs, queuedMs: 0 }));
    } else {
      queue.push({ id, phase, scheduledAtMs });
      maxQueued = Math.max(maxQueued, queue.length - head);
    }
  }
  // Queued arrivals still go out as slots free up; wait for them and for what is in flight.
  const drainMs = signal?.aborted ? INTERRUPT_GRACE_MS : spec.drainS * 1000;
  const deadline = clock.nowMs() + drainMs;
  while (head < queue.length && !signal?.aborted && clock.nowMs() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await flights.drain(Math.max(0, deadline - clock.nowMs()));
  // Never sent (interrupted or past the drain): recorded, not lost.
  for (; head < queue.length; head++) {
    const waiting = queue[head]!;
    const record = droppedRecord({ ...waiting, stage: plan.stage, queuedMs: clock.nowMs() - waiting.scheduledAtMs });
    flights.record({
      ...record,
      error: { kind: 'aborted', message: 'never sent: the run ended while it waited for a slot' },
    });
  }
  return { requests: flights.count, window: flights.window, dropped, maxQueued, spunMs: pacer.spunMs };
}

/** Target concurrency of a closed loop at `offsetMs` into the stage. */
function concurrencyAt(spec: ClosedSpec, tracker: PhaseTracker, offsetMs: number): number {
  if (spec.kind === 'synchronous') return 1;
  if (spec.kind === 'fixed-concurrency') return spec.concurrency;
  const start = tracker.measureStartMs;
  if (start === null) return spec.from;
  const progress = Math.min(1, Math.max(0, (offsetMs - start) / (spec.durationS * 1000)));
  return Math.round(spec.from + (spec.to - spec.from) * progress);
}

/** The default spread of a fixed concurrency's first sends: 5 ms a user, at most 1 s. */
const SPREAD_MS_PER_USER = 5;
const MAX_DEFAULT_SPREAD_MS = 1000;
/** The golden ratio's fraction: i × this mod 1 spreads any number of users evenly over [0, 1). */
const GOLDEN_FRACTION = (Math.sqrt(5) - 1) / 2;

/**
 * When each of this shard's users first sends, in ms after the stage starts. Users start in a
 * low-discrepancy order (user i at frac(i·φ) of the spread) rather than at even steps: even steps
 * that divide a server's token interval would put the streams back in a few lockstep groups.
 * Numbered over all shards, so two workers' users interleave instead of starting together.
 */
export function startOffsets(spec: ClosedSpec, users: number, shard: StageContext['shard']): number[] {
  const total = users * shard.count;
  if (spec.kind !== 'fixed-concurrency' || total <= 1) return [];
  const spreadMs = (spec.startSpreadS ?? Math.min(MAX_DEFAULT_SPREAD_MS, SPREAD_MS_PER_USER * total) / 1000) * 1000;
  return Array.from({ length: users }, (_, index) => {
    const global = index * shard.count + shard.index;
    return ((global * GOLDEN_FRACTION) % 1) * spreadMs;
  });
}

/**
 * Closed loop (under sharding each worker's spec already holds its share of users and requests;
 * the shard only keeps ids unique): each of `concurrency` users sends, waits for the answer, and sends again. A user's
 * request is scheduled the moment it is free, so there is no lateness and no queue. Ramps start and
 * park users as the target concurrency moves.
 */
async function runClosedLoop(spec: ClosedSpec, plan: StagePlan, ctx: StageContext): Promise<Body> {
  const { clock, signal, shard } = ctx;
  const tracker = new PhaseTracker(spec);
  const flights = new InFlight(ctx, plan.stage, spec.timeoutS * 1000);
  const users = plan.maxConcurrency ?? 1;
  const startMs = clock.nowMs();
  let next = 0;
  let finished = false;
  const firstSendMs = startOffsets(spec, users, shard);
  const user = async (index: number) => {
    const offsetMs = firstSendMs[index] ?? 0;
    if (offsetMs > 0) await new Promise((resolve) => setTimeout(resolve, offsetMs));
    while (!finished && !signal?.aborted) {
      const offsetMs = clock.nowMs() - startMs;
      if (index >= concurrencyAt(spec, tracker, offsetMs)) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      const phase = tracker.assign(offsetMs);
      if (phase === null) {
        finished = true;
        break;
      }
      const id = ctx.idBase + next++ * shard.count + shard.index;
      const scheduledAtMs = clock.nowMs();
      flights.scheduled(phase, scheduledAtMs);
      await flights.launch({ id, phase, stage: plan.stage, scheduledAtMs, queuedMs: 0 });
    }
  };
  const all = Promise.all(Array.from({ length: users }, (_, index) => user(index)));
  if (signal) {
    const stopped = new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await Promise.race([all, stopped]);
    if (signal.aborted) await flights.drain(INTERRUPT_GRACE_MS);
  }
  await all;
  return { requests: flights.count, window: flights.window, dropped: 0, maxQueued: 0, spunMs: 0 };
}
