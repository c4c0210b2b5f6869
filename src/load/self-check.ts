import { FloatColumn } from '../metrics/float-column.js';
import type { RequestRecord } from '../metrics/request-record.js';
import { startEventLoopDelay } from './event-loop-delay.js';
import type { StampFigures } from './socket-stamps.js';

/**
 * Is the client itself the limit? Reported with every result: the client process's CPU share of
 * one core over the run, the event loop's delay, and how late paced sends left against their
 * schedule. Thresholds from measurements on a 2-core machine: past ~50 % of a core per event loop
 * the timing of arriving chunks degrades (gap p99 grows from ~23 ms to ~45 ms at a nominal 20 ms).
 */
export interface SelfCheck extends StampFigures {
  /** Client process CPU time / wall time, in % of one core (all threads of the process). */
  readonly cpuPercent: number;
  /** Part of cpuPercent spent spinning to send on time (the pacer's busy wait), not real work. */
  readonly pacingSpinPercent: number;
  /** How late the event loop ran (ms past due, the sampling interval taken out; see event-loop-delay.ts). */
  readonly eventLoopDelayP50Ms: number;
  readonly eventLoopDelayP99Ms: number;
  readonly eventLoopDelayMaxMs: number;
  /** sentAt − scheduledAt of measured open-loop sends that did not wait for a slot; null for closed loops. */
  readonly sendLatenessP50Ms: number | null;
  readonly sendLatenessP99Ms: number | null;
  readonly sendLatenessMaxMs: number | null;
  readonly pacedSends: number;
  readonly wallMs: number;
  readonly workers: number;
}

export const LATENESS_LIMIT_MS = 1;
export const CPU_LIMIT_PERCENT = 50;
/** Event-loop delay p99 past which chunk stamps may be late by as much. */
export const EVENT_LOOP_LIMIT_MS = 10;

export interface SelfCheckProbe {
  stop(lateness: SendLateness, openLoop: boolean, spunMs: number, stamps: StampFigures): SelfCheck;
}

export function startSelfCheck(nowMs: () => number): SelfCheckProbe {
  const cpuStart = process.cpuUsage();
  const wallStart = nowMs();
  const delay = startEventLoopDelay();
  return {
    stop(lateness, openLoop, spunMs, stamps) {
      const loop = delay.stop();
      const cpu = process.cpuUsage(cpuStart);
      const wallMs = Math.max(1e-3, nowMs() - wallStart);
      return {
        cpuPercent: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
        pacingSpinPercent: (spunMs / wallMs) * 100,
        eventLoopDelayP50Ms: loop.p50Ms,
        eventLoopDelayP99Ms: loop.p99Ms,
        eventLoopDelayMaxMs: loop.maxMs,
        ...lateness.figures(openLoop),
        ...stamps,
        wallMs,
        workers: 1,
      };
    },
  };
}

type LatenessFigures = Pick<SelfCheck, 'sendLatenessP50Ms' | 'sendLatenessP99Ms' | 'sendLatenessMaxMs' | 'pacedSends'>;

/**
 * The lateness (ms) of sends that did not queue for a slot, fed one record at a time: 8 bytes a
 * send, for exact quantiles. Warmup and cooldown sends are left out as their results are: the
 * first warmup sends meet a cold JIT and open connections (measured: up to 13 ms late at 1k
 * requests/s), which says nothing about the measured window. A run without a measured send falls
 * back to all of them.
 */
export class SendLateness {
  private readonly measured = new FloatColumn();
  private readonly others = new FloatColumn();

  add(record: RequestRecord): void {
    if (record.sentAtMs === null || (record.queuedMs ?? 0) !== 0) return;
    const lateMs = Math.max(0, record.sentAtMs - record.scheduledAtMs);
    (record.phase === 'measure' ? this.measured : this.others).push(lateMs);
  }

  /** The sorted lateness the self-check reads. */
  sorted(): Float64Array {
    return (this.measured.length > 0 ? this.measured : this.others).sorted();
  }

  /** The self-check's lateness fields; null for closed loops, which have no schedule to be late for. */
  figures(openLoop: boolean): LatenessFigures {
    const lateness = openLoop ? this.sorted() : new Float64Array(0);
    const pick = (q: number) => (lateness.length ? quantileSorted(lateness, q) : null);
    return {
      sendLatenessP50Ms: pick(0.5),
      sendLatenessP99Ms: pick(0.99),
      sendLatenessMaxMs: lateness.length ? lateness[lateness.length - 1]! : null,
      pacedSends: lateness.length,
    };
  }
}

/** Sorted lateness (ms) of the measured sends among `records` that did not queue (see SendLateness). */
export function sendLateness(records: Iterable<RequestRecord>): number[] {
  const lateness = new SendLateness();
  for (const record of records) lateness.add(record);
  return [...lateness.sorted()];
}

/** Nearest-rank quantile of sorted values. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** Warnings a person should see when the numbers may describe the client rather than the server. */
export function selfCheckWarnings(check: SelfCheck): string[] {
  const warnings: string[] = [];
  const perLoop = Math.max(0, check.cpuPercent - check.pacingSpinPercent) / check.workers;
  if (check.sendLatenessP99Ms !== null && check.sendLatenessP99Ms > LATENESS_LIMIT_MS) {
    warnings.push(
      `the client sent late: send lateness p99 ${check.sendLatenessP99Ms.toFixed(2)} ms > ${LATENESS_LIMIT_MS} ms; the offered rate was not met exactly (use more workers or a lower rate)`,
    );
  }
  if (perLoop > CPU_LIMIT_PERCENT) {
    warnings.push(
      `the client may be the limit: ${(perLoop * check.workers).toFixed(0)} % CPU (pacing spin excluded) over ${check.workers} event loop(s) (> ${CPU_LIMIT_PERCENT} % each); timings may include client delay (use workers: ${Math.ceil((perLoop * check.workers) / 40)}${check.stamps === 'socket' ? ', or --stamps event-loop for less CPU a chunk' : ''})`,
    );
  }
  if (check.eventLoopDelayP99Ms > EVENT_LOOP_LIMIT_MS) {
    warnings.push(
      check.stamps === 'socket'
        ? `the client's event loop stalled: delay p99 ${check.eventLoopDelayP99Ms.toFixed(1)} ms; sends may leave late by as much (chunk times are the socket's)`
        : `the client's event loop stalled: delay p99 ${check.eventLoopDelayP99Ms.toFixed(1)} ms; chunk times may be late by as much`,
    );
  }
  return warnings;
}
