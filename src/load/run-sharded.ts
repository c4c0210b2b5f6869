import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { anchorWallClock, monotonicClock } from '../core/clock.js';
import { silentProgress } from '../core/progress.js';
import type { RequestRecord } from '../metrics/request-record.js';
import { type LoadPlan, planLoad } from './load-plan.js';
import type { LoadSpec } from './load-spec.js';
import { LoadTally } from './load-tally.js';
import type { LoadTarget } from './load-target.js';
import type { LoadResult, RunLoadOptions, StageResult } from './run-load.js';
import { loadResultOf, mergeWindows, scrapeEngineCounters } from './run-load.js';
import { type SelfCheck, selfCheckWarnings } from './self-check.js';
import { ShardMerge } from './shard-merge.js';
import { mergeStampFigures } from './socket-stamps.js';

/**
 * Splits a run over `spec.workers` worker threads, each with its own event loop and connections.
 * Open loops: every worker walks the same schedule and sends arrivals i ≡ k (mod N), so the union
 * is exactly the single-process schedule. Closed loops: users and request counts are divided.
 * Records stream back in small batches as they complete and go to this thread's onRecord, so no
 * thread holds the run's records; windows and lateness are taken over the union; CPU is read once
 * for the whole process (worker threads share it).
 *
 * performance.now() has its own origin in each thread: records are moved onto this thread's clock by
 * the difference of the origins (performance.timeOrigin), and shards start at one agreed instant.
 */
export interface ShardMessage {
  readonly spec: LoadSpec;
  readonly target: LoadTarget;
  readonly index: number;
  readonly count: number;
  readonly requestTag?: string;
  readonly startAtEpochMs: number;
}

/**
 * What a worker posts: batches of records as they complete, each stage's first measured arrival,
 * and at the end its result (records excluded); each with its clock's origin.
 */
export type ShardReply = { readonly timeOrigin: number } & (
  | { readonly kind: 'records'; readonly records: RequestRecord[] }
  | { readonly kind: 'measure-start'; readonly stage: number; readonly scheduledAtMs: number }
  | { readonly kind: 'result'; readonly result: LoadResult }
);

/** Moves a record from a worker's clock to this thread's (each thread's performance.now() has its own origin). */
function shiftRecord(record: RequestRecord, byMs: number): RequestRecord {
  const at = (value: number | null) => (value === null ? null : value + byMs);
  return {
    ...record,
    scheduledAtMs: record.scheduledAtMs + byMs,
    sentAtMs: at(record.sentAtMs),
    headersAtMs: at(record.headersAtMs),
    firstContentAtMs: at(record.firstContentAtMs),
    firstReasoningAtMs: at(record.firstReasoningAtMs),
    lastContentAtMs: at(record.lastContentAtMs),
    endAtMs: record.endAtMs + byMs,
    arrivals: record.arrivals.map((arrival) => ({ ...arrival, atMs: arrival.atMs + byMs })),
  };
}

function shiftWindow<T extends { startMs: number; endMs: number } | null>(window: T, byMs: number): T {
  return (window === null ? null : { startMs: window.startMs + byMs, endMs: window.endMs + byMs }) as T;
}

function workerUrl(): URL {
  const self = import.meta.url;
  return new URL(self.endsWith('.ts') ? './load-worker.ts' : './load-worker.js', self);
}

/** The share of a closed loop's users and requests that worker `index` of `count` runs. */
export function shardSpec(spec: LoadSpec, index: number, count: number): LoadSpec {
  const share = (total: number) => Math.floor(total / count) + (index < total % count ? 1 : 0);
  const requests = spec.requests === undefined ? {} : { requests: Math.max(1, share(spec.requests)) };
  switch (spec.kind) {
    case 'fixed-concurrency':
      return { ...spec, ...requests, concurrency: Math.max(1, share(spec.concurrency)), workers: 1 };
    case 'ramp-concurrency':
      return { ...spec, ...requests, from: Math.max(1, share(spec.from)), to: Math.max(1, share(spec.to)), workers: 1 };
    case 'sweep':
      return spec.of === 'fixed-concurrency'
        ? { ...spec, ...requests, levels: spec.levels.map((l) => Math.max(1, share(Math.round(l)))), workers: 1 }
        : { ...spec, workers: 1 };
    default:
      return { ...spec, workers: 1 };
  }
}

export async function runSharded(spec: LoadSpec, target: LoadTarget, options: RunLoadOptions): Promise<LoadResult> {
  const clock = options.clock ?? monotonicClock;
  const progress = options.progress ?? silentProgress;
  const count = spec.workers;
  const cpuStart = process.cpuUsage();
  const wallStart = clock.nowMs();
  const wallAnchor = anchorWallClock(clock);
  const plan = planLoad(spec);
  progress.phase(`${spec.kind} on ${count} workers`);
  // Workers take a moment to start; every shard begins its schedule at the same instant.
  const startAtEpochMs = performance.timeOrigin + performance.now() + 500 + 50 * count;
  const workers = Array.from({ length: count }, (_, index) =>
    startWorker({
      spec,
      target,
      index,
      count,
      startAtEpochMs,
      ...(options.requestTag ? { requestTag: options.requestTag } : {}),
    }),
  );
  const onAbort = () => {
    for (const worker of workers) worker.postMessage('abort');
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const openLoop = plan.stages.some((s) => s.openLoop);
  const tally = new LoadTally(options.keepRecords ?? false, openLoop);
  const merge = new ShardMerge(count, rampStagesOf(plan), {
    onRecord: (record) => {
      tally.add(record);
      options.onRecord?.(record);
    },
    onMeasureStart: (stage, atMs) => options.onMeasureStart?.(stage, atMs),
  });
  const before = await scrapeEngineCounters(target);
  let results: LoadResult[];
  try {
    results = await Promise.all(workers.map((worker, index) => shardResult(worker, index, merge)));
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  const cpu = process.cpuUsage(cpuStart);
  const wallMs = Math.max(1e-3, clock.nowMs() - wallStart);
  const selfCheck: SelfCheck = {
    cpuPercent: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
    pacingSpinPercent: results.reduce(
      (sum, r) => sum + r.selfCheck.pacingSpinPercent * (r.selfCheck.wallMs / wallMs),
      0,
    ),
    eventLoopDelayP50Ms: Math.max(...results.map((r) => r.selfCheck.eventLoopDelayP50Ms)),
    eventLoopDelayP99Ms: Math.max(...results.map((r) => r.selfCheck.eventLoopDelayP99Ms)),
    eventLoopDelayMaxMs: Math.max(...results.map((r) => r.selfCheck.eventLoopDelayMaxMs)),
    ...tally.lateness.figures(openLoop),
    ...mergeStampFigures(results.map((r) => r.selfCheck)),
    wallMs,
    workers: count,
  };
  const after = before ? await scrapeEngineCounters(target) : null;
  const stages = mergeStages(results);
  progress.end(`${tally.requests} requests`);
  return loadResultOf(tally, {
    selfCheck,
    stages,
    counters: { before, after },
    warnings: [...new Set(results.flatMap((r) => r.warnings)), ...tally.warnings(), ...selfCheckWarnings(selfCheck)],
    interrupted: options.signal?.aborted ?? false,
    plan,
    wallAnchor,
  });
}

function startWorker(message: ShardMessage): Worker {
  const url = workerUrl();
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData: message });
  // Running from TypeScript sources (tests, bench): register tsx's loader in the worker first.
  const api = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(code, { eval: true, workerData: message });
}

/** Feeds one worker's records and announcements to the merge until its result, on this thread's clock. */
function shardResult(worker: Worker, index: number, merge: ShardMerge): Promise<LoadResult> {
  return new Promise<LoadResult>((resolve, reject) => {
    worker.on('message', (reply: ShardReply) => {
      const byMs = reply.timeOrigin - performance.timeOrigin;
      if (reply.kind === 'records') {
        merge.records(
          index,
          reply.records.map((record) => shiftRecord(record, byMs)),
        );
      } else if (reply.kind === 'measure-start') {
        merge.measureStarted(index, reply.stage, reply.scheduledAtMs + byMs);
      } else {
        merge.done(index);
        const { result } = reply;
        resolve({
          ...result,
          stages: result.stages.map((stage) => ({ ...stage, window: shiftWindow(stage.window, byMs) })),
        });
      }
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`load worker exited with code ${code}`)));
  });
}

/** The stages that are ramps: their slices count from the first measured arrival over all shards. */
function rampStagesOf(plan: LoadPlan): ReadonlySet<number> {
  return new Set(
    plan.stages.filter((s) => s.spec.kind === 'ramp-rate' || s.spec.kind === 'ramp-concurrency').map((s) => s.stage),
  );
}

/** Per stage, the shards' windows merged, their dropped and queued summed. */
function mergeStages(results: readonly LoadResult[]): StageResult[] {
  const stageIds = [...new Set(results.flatMap((r) => r.stages.map((s) => s.stage)))].sort((a, b) => a - b);
  return stageIds.map((stage) => {
    const parts = results.flatMap((r) => r.stages.filter((s) => s.stage === stage));
    const level = parts[0]?.level;
    return {
      stage,
      ...(level === undefined ? {} : { level }),
      window: mergeWindows(parts.map((p) => p.window)),
      dropped: parts.reduce((n, p) => n + p.dropped, 0),
      maxQueued: parts.reduce((n, p) => n + p.maxQueued, 0),
    };
  });
}
