import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../testing/exact-statistics.js';
import { failedRecord, streamedRecord } from '../testing/request-records.js';
import { CrossCheckAccumulator, type EngineCrossCheck, engineTpotMs, engineTtftMs } from './engine-cross-check.js';
import { deriveRequestMetrics } from './request-metrics.js';
import type { RequestRecord } from './request-record.js';
import { parseSlo, percentileTerms, requestBounds } from './slo.js';
import { StagesAccumulator } from './stage-accumulator.js';
import { summarizeRun, type TimeWindow } from './summarize-run.js';
import { RAMP_SLICES, type StageInput, type StageSummary, summarizeStageFigures } from './summarize-stages.js';

/**
 * The streaming figures (per-stage accumulators, the cross-check's sums) against the exact, slow
 * forms they replaced, which took every record of the run at once: the same records give the same
 * figures, whatever order the records complete in.
 */

/** A run over three stages (a rate, a concurrency, a ramp): every kind of record, engine reports on most. */
function randomRun(n: number, seed: number): RequestRecord[] {
  const random = seededRandom(seed);
  const stageStart = [1000, 60_000, 120_000];
  return Array.from({ length: n }, (_, id) => {
    const stage = Math.floor(random() * 3);
    const scheduledAtMs = stageStart[stage]! + random() * 40_000;
    const roll = random();
    const phase = random() < 0.1 ? 'warmup' : random() < 0.05 ? 'cooldown' : 'measure';
    const base = { id, scheduledAtMs, sentAtMs: scheduledAtMs + random() * 2 };
    if (roll < 0.06) return { ...failedRecord('timeout', { ...base, endAtMs: base.sentAtMs + 80 }), stage, phase };
    if (roll < 0.09) return { ...failedRecord('dropped', { ...base, sentAtMs: null, endAtMs: scheduledAtMs }), stage };
    if (roll < 0.11) return { ...failedRecord('aborted', { ...base, endAtMs: base.sentAtMs + 5 }), stage };
    let at = base.sentAtMs + 15 + random() * 200;
    const arrivalsAtMs: number[] = [];
    for (let k = Math.floor(random() * 20); k >= 0; k--) {
      arrivalsAtMs.push(at);
      at += random() * 40;
    }
    const record = streamedRecord({ ...base, arrivalsAtMs, tailMs: random() * 2, promptTokens: 8 + (id % 50) });
    const engine =
      random() < 0.8
        ? {
            promptMs: 10 + random() * 100,
            completionTokens: record.outputTokens + (random() < 0.1 ? 1 : 0),
            promptTokens: record.promptTokens! - (id % 4),
            ...(random() < 0.5 ? { tpotMs: 5 + random() * 20 } : { generationMs: 50 + random() * 300 }),
            ...(random() < 0.3 ? { cachedTokens: id % 4 } : {}),
          }
        : null;
    return {
      ...record,
      stage,
      phase,
      engine,
      queuedMs: random() < 0.1 ? random() * 30 : 0,
      ...(random() < 0.03 ? { retries: 1 } : {}),
    };
  });
}

/** The order records complete in: by end, not by id. */
const byEnd = (records: readonly RequestRecord[]) => [...records].sort((a, b) => a.endAtMs - b.endAtMs);

function measuredWindow(records: readonly RequestRecord[]): TimeWindow | null {
  const measured = records.filter((r) => r.phase === 'measure');
  if (measured.length === 0) return null;
  return {
    startMs: Math.min(...measured.map((r) => r.scheduledAtMs)),
    endMs: Math.max(...measured.map((r) => r.endAtMs)),
  };
}

function inputsOf(records: readonly RequestRecord[]): StageInput[] {
  const own = (stage: number) => records.filter((r) => r.stage === stage);
  return [
    { stage: 0, kind: 'constant-rate', unit: 'req/s', offered: 20, window: measuredWindow(own(0)) },
    { stage: 1, kind: 'fixed-concurrency', unit: 'concurrency', offered: 8, window: measuredWindow(own(1)) },
    {
      stage: 2,
      kind: 'ramp-rate',
      unit: 'req/s',
      offered: null,
      window: measuredWindow(own(2)),
      ramp: { from: 5, to: 30, durationS: 40 },
    },
  ];
}

// ---- the forms that took every record: summarizeStages and crossCheckEngine as they were ----

function referenceCompletionRate(records: readonly RequestRecord[]): number | null {
  const ends = records.filter((r) => r.phase === 'measure' && r.error === null && r.sentAtMs !== null);
  if (ends.length < 2) return null;
  const first = Math.min(...ends.map((r) => r.endAtMs));
  const last = Math.max(...ends.map((r) => r.endAtMs));
  return last > first ? ((ends.length - 1) / (last - first)) * 1000 : null;
}

function referenceRow(
  input: StageInput & { slice?: number },
  records: RequestRecord[],
  options: Parameters<typeof summarizeRun>[1],
): StageSummary {
  const metrics = summarizeRun(records, { ...options, ...(input.window ? { window: input.window } : {}) });
  const pick = (name: 'ttftMs' | 'tpotMs' | 'itlMs' | 'e2eMs') => ({
    p50: metrics[name].p50,
    p90: metrics[name].p90,
    p99: metrics[name].p99,
  });
  const r = metrics.requests;
  const hasBounds = metrics.slo !== null && Object.keys(metrics.slo.bounds).length > 0;
  return {
    stage: input.stage,
    slice: input.slice ?? null,
    kind: input.kind,
    unit: input.unit,
    offered: input.offered,
    achieved: input.unit === 'req/s' ? referenceCompletionRate(records) : metrics.concurrency.meanInFlight,
    windowS: metrics.window.durationS,
    requests: { total: r.total, succeeded: r.succeeded, failed: r.failed, dropped: r.dropped, aborted: r.aborted },
    errors: r.failed + r.dropped,
    requestsPerS: metrics.throughput.requestsPerS,
    outputTokensPerS: metrics.throughput.outputTokensPerS,
    ttftMs: pick('ttftMs'),
    tpotMs: pick('tpotMs'),
    itlMs: pick('itlMs'),
    e2eMs: pick('e2eMs'),
    goodputRequestsPerS: hasBounds ? metrics.slo!.goodputRequestsPerS : null,
    sloAttainmentPercent: hasBounds ? metrics.slo!.attainmentPercent : null,
  };
}

function referenceRows(
  records: readonly RequestRecord[],
  inputs: readonly StageInput[],
  options: Parameters<typeof summarizeRun>[1],
): StageSummary[] {
  return inputs.flatMap((input) => {
    const own = records.filter((r) => r.stage === input.stage);
    if (!input.ramp || !input.window) return [referenceRow(input, own, options)];
    const spanMs = (input.ramp.durationS * 1000) / RAMP_SLICES;
    const slices = Array.from({ length: RAMP_SLICES }, () => [] as RequestRecord[]);
    for (const r of own.filter((x) => x.phase === 'measure')) {
      const i = Math.min(RAMP_SLICES - 1, Math.max(0, Math.floor((r.scheduledAtMs - input.window.startMs) / spanMs)));
      slices[i]!.push(r);
    }
    const { from, to } = input.ramp;
    return slices.map((slice, i) =>
      referenceRow(
        {
          ...input,
          slice: i,
          offered: from + ((to - from) * (i + 0.5)) / RAMP_SLICES,
          window: slice.length === 0 ? null : measuredWindow(slice),
        },
        slice,
        options,
      ),
    );
  });
}

function referenceCrossCheck(records: readonly RequestRecord[]): EngineCrossCheck {
  const reported = records.filter((r) => r.error === null && r.engine !== null);
  const pairsOf = (engineOf: typeof engineTtftMs, clientOf: (r: RequestRecord) => number | null) =>
    reported.flatMap((r) => {
      const client = clientOf(r);
      const engine = engineOf(r.engine!);
      return client === null || engine === null ? [] : [[client, engine] as const];
    });
  const compare = (pairs: ReadonlyArray<readonly [number, number]>) => {
    if (pairs.length === 0) {
      return { pairs: 0, clientMean: null, engineMean: null, deltaMean: null, deltaPercent: null, deltaP50: null };
    }
    const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const engineMean = mean(pairs.map(([, e]) => e));
    const deltas = pairs.map(([c, e]) => c - e).sort((a, b) => a - b);
    const deltaMean = mean(deltas);
    return {
      pairs: pairs.length,
      clientMean: mean(pairs.map(([c]) => c)),
      engineMean,
      deltaMean,
      deltaPercent: engineMean === 0 ? null : (deltaMean / engineMean) * 100,
      deltaP50: deltas[Math.ceil(deltas.length / 2) - 1]!,
    };
  };
  const counts = (client: number, engine: number) => ({
    client,
    engine,
    delta: client - engine,
    deltaPercent: engine === 0 ? null : ((client - engine) / engine) * 100,
  });
  const withCount = reported.filter((r) => r.engine!.completionTokens !== undefined);
  const withPrompt = reported.filter((r) => r.engine!.promptTokens !== undefined && r.promptTokens !== null);
  const withCached = withPrompt.filter((r) => r.engine!.cachedTokens !== undefined);
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    requestsWithReport: reported.length,
    ttftMs: compare(pairsOf(engineTtftMs, (r) => deriveRequestMetrics(r).ttftMs)),
    tpotMs: compare(pairsOf(engineTpotMs, (r) => deriveRequestMetrics(r).tpotMs)),
    outputTokens: withCount.length
      ? counts(sum(withCount.map((r) => r.outputTokens)), sum(withCount.map((r) => r.engine!.completionTokens!)))
      : null,
    promptTokens: withPrompt.length
      ? counts(
          sum(withPrompt.map((r) => r.promptTokens!)),
          sum(withPrompt.map((r) => r.engine!.promptTokens! + (r.engine!.cachedTokens ?? 0))),
        )
      : null,
    cachedPromptTokens: withCached.length ? sum(withCached.map((r) => r.engine!.cachedTokens!)) : null,
    counters: {
      promptTokens: counts(sum(records.map((r) => r.promptTokens ?? 0)), 5000),
      generatedTokens: counts(sum(records.map((r) => r.outputTokens)), 7000),
    },
  };
}

test('streamed stage rows equal the rows summarizeRun gives over each stage’s and ramp slice’s records', () => {
  const terms = parseSlo('ttft=120ms,tpot=25ms,ttft-p99=300ms');
  const cases = [{}, { slo: requestBounds(terms), sloPercentiles: percentileTerms(terms) }];
  for (const seed of [1, 2, 3, 4]) {
    const records = randomRun(2500, seed);
    const inputs = inputsOf(records);
    for (const options of cases) {
      const accumulator = new StagesAccumulator({ ...options, ramps: new Map([[2, 40]]) });
      // as the load runner does: the ramp's measured start is said before its records complete
      accumulator.measureStarted(2, inputs[2]!.window!.startMs);
      for (const record of byEnd(records)) accumulator.add(record);
      const streamed = summarizeStageFigures(accumulator, inputs, options);
      assert.equal(streamed.stages.length, 2 + RAMP_SLICES);
      assert.deepEqual(streamed.stages, referenceRows(records, inputs, options), `seed ${seed}`);
    }
  }
});

test('a stage without measured records and a ramp never measured are one row each, as before', () => {
  const records = randomRun(400, 9).map((r) => ({ ...r, phase: 'warmup' as const }));
  const inputs = inputsOf(records);
  const accumulator = new StagesAccumulator({ ramps: new Map([[2, 40]]) });
  for (const record of records) accumulator.add(record);
  const streamed = summarizeStageFigures(accumulator, inputs);
  assert.equal(streamed.stages.length, 3);
  assert.deepEqual(streamed.stages, referenceRows(records, inputs, {}));
});

test('the streamed cross-check equals the one over every record', () => {
  for (const seed of [1, 2, 3]) {
    const records = randomRun(2000, seed);
    const accumulator = new CrossCheckAccumulator();
    for (const record of records) accumulator.add(record);
    const check = accumulator.result({ promptTokens: 4000, cachedPromptTokens: 1000, generatedTokens: 7000 });
    assert.ok(check.ttftMs.pairs > 1000 && check.tpotMs.pairs > 1000);
    assert.deepEqual(check, referenceCrossCheck(records), `seed ${seed}`);
  }
});

test('the cross-check’s medians and counts do not depend on the order records complete in', () => {
  const records = randomRun(1500, 5);
  const inOrder = new CrossCheckAccumulator();
  const byCompletion = new CrossCheckAccumulator();
  for (const record of records) inOrder.add(record);
  for (const record of byEnd(records)) byCompletion.add(record);
  const a = inOrder.result();
  const b = byCompletion.result();
  assert.equal(a.ttftMs.deltaP50, b.ttftMs.deltaP50);
  assert.equal(a.tpotMs.deltaP50, b.tpotMs.deltaP50);
  assert.deepEqual(a.outputTokens, b.outputTokens);
  assert.deepEqual(a.promptTokens, b.promptTokens);
  // means are float sums: equal up to rounding in another order
  assert.ok(Math.abs(a.ttftMs.clientMean! - b.ttftMs.clientMean!) < 1e-9);
});
