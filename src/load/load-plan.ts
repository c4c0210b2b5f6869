import type { RunPhase } from '../metrics/request-record.js';
import { type ArrivalSchedule, poissonSchedule, type RateSegment, rateProfileSchedule } from './arrival-schedule.js';
import type { LoadSpec, PhaseLimit, StageSpec } from './load-spec.js';

/**
 * planLoad is pure: from a validated spec it says, before anything starts, what will run: the
 * stages, their phases, the most requests in flight and how long it lasts (null where the answer
 * depends on the server, e.g. a count-limited closed loop).
 */
export interface StagePlan {
  readonly stage: number;
  readonly spec: StageSpec;
  /** Sweep level (rate or concurrency) of this stage; undefined outside sweeps. */
  readonly level?: number;
  readonly openLoop: boolean;
  /** Most requests in flight; null = not capped (open loop without maxInFlight: about rate × latency). */
  readonly maxConcurrency: number | null;
  /** Seconds the stage sends for, warmup and cooldown included; null when it depends on the server. */
  readonly durationS: number | null;
  /** Requests the stage sends (expected for Poisson), all phases; null when it depends on the server. */
  readonly requests: number | null;
  readonly measuredRequests: number | null;
}

export interface LoadPlan {
  readonly kind: LoadSpec['kind'];
  readonly stages: readonly StagePlan[];
  readonly maxConcurrency: number | null;
  readonly durationS: number | null;
  readonly requests: number | null;
  readonly workers: number;
}

export function planLoad(spec: LoadSpec): LoadPlan {
  const stages = stageSpecs(spec).map((stageSpec, stage) =>
    planStage(stageSpec, stage, spec.kind === 'sweep' ? spec.levels[stage] : undefined),
  );
  const sum = (values: (number | null)[]) =>
    values.some((v) => v === null) ? null : values.reduce<number>((a, v) => a + v!, 0);
  const concurrencies = stages.map((s) => s.maxConcurrency);
  return {
    kind: spec.kind,
    stages,
    maxConcurrency: concurrencies.some((c) => c === null) ? null : Math.max(...(concurrencies as number[])),
    durationS: sum(stages.map((s) => s.durationS)),
    requests: sum(stages.map((s) => s.requests)),
    workers: spec.workers,
  };
}

/** A sweep becomes one stage per level; any other kind is one stage. */
export function stageSpecs(spec: LoadSpec): StageSpec[] {
  if (spec.kind !== 'sweep') return [spec];
  const { kind: _kind, of, levels, seed, maxInFlight, overflow, spinMs, startSpreadS, ...common } = spec;
  return levels.map((level, index): StageSpec => {
    if (of === 'fixed-concurrency') {
      const spread = startSpreadS === undefined ? {} : { startSpreadS };
      return { ...common, ...spread, kind: of, concurrency: Math.round(level) };
    }
    const open = { ...common, maxInFlight, overflow, spinMs, rate: level };
    return of === 'poisson' ? { ...open, kind: of, seed: seed + index } : { ...open, kind: of };
  });
}

function phaseSeconds(limit: PhaseLimit | undefined, ratePerS: number | undefined): number | null {
  if (!limit) return 0;
  if (limit.durationS !== undefined) return limit.durationS;
  return ratePerS ? (limit.requests ?? 0) / ratePerS : null;
}

function phaseRequests(limit: PhaseLimit | undefined, ratePerS: number | undefined): number | null {
  if (!limit) return 0;
  if (limit.requests !== undefined) return limit.requests;
  return ratePerS ? Math.floor((limit.durationS ?? 0) * ratePerS) : null;
}

function planStage(spec: StageSpec, stage: number, level: number | undefined): StagePlan {
  const base = { stage, spec, ...(level === undefined ? {} : { level }) };
  switch (spec.kind) {
    case 'constant-rate':
    case 'poisson': {
      const measuredS = spec.durationS ?? null;
      const measuredByCount = spec.requests ?? null;
      const measuredRequests =
        measuredByCount !== null && measuredS !== null
          ? Math.min(measuredByCount, Math.floor(measuredS * spec.rate))
          : (measuredByCount ?? Math.floor((measuredS ?? 0) * spec.rate));
      const measureS = measuredS ?? measuredRequests / spec.rate;
      const warmS = phaseSeconds(spec.warmup, spec.rate) ?? 0;
      const coolS = phaseSeconds(spec.cooldown, spec.rate) ?? 0;
      const warmN = phaseRequests(spec.warmup, spec.rate) ?? 0;
      const coolN = phaseRequests(spec.cooldown, spec.rate) ?? 0;
      return {
        ...base,
        openLoop: true,
        maxConcurrency: spec.maxInFlight ?? null,
        durationS: warmS + Math.min(measureS, measuredRequests / spec.rate) + coolS,
        requests: warmN + measuredRequests + coolN,
        measuredRequests,
      };
    }
    case 'ramp-rate': {
      const profile = rampSegments(spec);
      const area = profile.slice(0, -1).reduce((sum, s) => sum + ((s.fromRate + s.toRate) / 2) * s.durationS, 0);
      const coolS = phaseSeconds(spec.cooldown, spec.to) ?? 0;
      const measured = ((spec.from + spec.to) / 2) * spec.durationS;
      return {
        ...base,
        openLoop: true,
        maxConcurrency: spec.maxInFlight ?? null,
        durationS: profile.slice(0, -1).reduce((sum, s) => sum + s.durationS, 0) + coolS,
        requests: Math.ceil(area + coolS * spec.to),
        measuredRequests: Math.ceil(spec.requests === undefined ? measured : Math.min(spec.requests, measured)),
      };
    }
    case 'synchronous':
    case 'fixed-concurrency':
    case 'ramp-concurrency': {
      const concurrency =
        spec.kind === 'synchronous'
          ? 1
          : spec.kind === 'fixed-concurrency'
            ? spec.concurrency
            : Math.max(spec.from, spec.to);
      const timed = (limit: PhaseLimit | undefined) => (limit?.requests ? null : (limit?.durationS ?? 0));
      const measureS = spec.requests === undefined ? (spec.durationS ?? null) : null;
      const parts = [timed(spec.warmup), measureS, timed(spec.cooldown)];
      const counted = (limit: PhaseLimit | undefined) => (limit?.durationS ? null : (limit?.requests ?? 0));
      const measuredRequests = spec.durationS === undefined ? (spec.requests ?? null) : null;
      const counts = [counted(spec.warmup), measuredRequests, counted(spec.cooldown)];
      return {
        ...base,
        openLoop: false,
        maxConcurrency: concurrency,
        durationS: parts.some((p) => p === null) ? null : parts.reduce<number>((a, p) => a + p!, 0),
        requests: counts.some((c) => c === null) ? null : counts.reduce<number>((a, c) => a + c!, 0),
        measuredRequests,
      };
    }
  }
}

/** ramp-rate as rate segments: warmup at `from`, the ramp over durationS, then `to` (cooldown) forever. */
export function rampSegments(spec: Extract<StageSpec, { kind: 'ramp-rate' }>): RateSegment[] {
  const warmS = phaseSeconds(spec.warmup, spec.from) ?? 0;
  const segments: RateSegment[] = [];
  if (warmS > 0) segments.push({ fromRate: spec.from, toRate: spec.from, durationS: warmS });
  segments.push({ fromRate: spec.from, toRate: spec.to, durationS: spec.durationS });
  segments.push({ fromRate: spec.to, toRate: spec.to, durationS: Number.POSITIVE_INFINITY });
  return segments;
}

/** The arrival schedule of an open-loop stage. */
export function stageSchedule(
  spec: Extract<StageSpec, { kind: 'constant-rate' | 'poisson' | 'ramp-rate' }>,
): ArrivalSchedule {
  switch (spec.kind) {
    case 'constant-rate':
      return rateProfileSchedule([{ fromRate: spec.rate, toRate: spec.rate, durationS: Number.POSITIVE_INFINITY }]);
    case 'poisson':
      return poissonSchedule(spec.rate, spec.seed);
    case 'ramp-rate':
      return rateProfileSchedule(rampSegments(spec));
  }
}

/**
 * Assigns each request its phase in send order: warmup until its count or time is reached, then
 * measure until the first of `requests` / `durationS`, then cooldown; null once cooldown is over.
 * Time is the request's target offset (open loop) or its send offset (closed loop), in ms.
 */
export class PhaseTracker {
  private phase: RunPhase = 'warmup';
  private phaseStartMs = 0;
  private countInPhase = 0;
  /** Offset where the measured phase began and ended (ms from stage start). */
  measureStartMs: number | null = null;
  measureEndMs: number | null = null;

  constructor(private readonly spec: StageSpec) {
    if (!spec.warmup) this.enter('measure', 0);
  }

  assign(offsetMs: number): RunPhase | null {
    for (;;) {
      const limit = this.limitOf(this.phase);
      const elapsedMs = offsetMs - this.phaseStartMs;
      const countDone = limit.requests !== undefined && this.countInPhase >= limit.requests;
      const timeDone = limit.durationS !== undefined && elapsedMs >= limit.durationS * 1000;
      const noLimit = limit.requests === undefined && limit.durationS === undefined;
      if (!countDone && !timeDone && !(noLimit && this.phase !== 'measure')) {
        this.countInPhase++;
        return this.phase;
      }
      if (this.phase === 'cooldown') return null;
      // A timed phase ends at its deadline; a counted one where the next request starts.
      const endMs = timeDone && !countDone ? this.phaseStartMs + limit.durationS! * 1000 : offsetMs;
      this.enter(this.phase === 'warmup' ? 'measure' : 'cooldown', endMs);
    }
  }

  /** The current phase's limit; the measured phase of a ramp is bounded by its durationS. */
  private limitOf(phase: RunPhase): { requests?: number; durationS?: number } {
    if (phase === 'warmup') return this.spec.warmup ?? { requests: 0 };
    if (phase === 'cooldown') return this.spec.cooldown ?? { requests: 0 };
    return { requests: this.spec.requests, durationS: this.spec.durationS };
  }

  private enter(phase: RunPhase, atMs: number): void {
    if (phase === 'measure') this.measureStartMs = atMs;
    if (phase === 'cooldown') this.measureEndMs = atMs;
    this.phase = phase;
    this.phaseStartMs = atMs;
    this.countInPhase = 0;
  }
}
