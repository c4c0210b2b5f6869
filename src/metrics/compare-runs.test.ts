import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bootstrapRelativeChange,
  bootstrapRelativeChanges,
  mannWhitneyU,
  quantileOfSorted,
  seededUniform,
  type Uniform,
  type Units,
  weightedMean,
  weightedQuantile,
} from './bootstrap.js';
import { compareRuns, compareSamples, type MetricSample, metricSamples } from './compare-runs.js';
import type { RequestRecord } from './request-record.js';
import { judgeComparability, type RunFacts } from './run-comparability.js';

/** Log-normal latencies around `medianMs` with log-spread σ (Box–Muller on a seeded uniform). */
function lognormal(random: Uniform, n: number, medianMs: number, sigma: number): number[] {
  return Array.from({ length: n }, () => {
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    return medianMs * Math.exp(sigma * z);
  });
}

const sample = (values: readonly number[]): MetricSample => ({ units: values.map((v) => [v]), perRequest: values });

/** U by its definition, counting pairs: the slow reference the rank-sum version must equal. */
function pairCountU(baseline: readonly number[], candidate: readonly number[]): number {
  let u = 0;
  for (const c of candidate) for (const b of baseline) u += c > b ? 1 : c === b ? 0.5 : 0;
  return u;
}

test('Mann–Whitney U from ranks equals the pair count, ties included', () => {
  const random = seededUniform(7);
  for (let draw = 0; draw < 50; draw++) {
    const a = Array.from({ length: 5 + draw }, () => Math.floor(random() * 6));
    const b = Array.from({ length: 3 + draw }, () => Math.floor(random() * 6));
    assert.equal(mannWhitneyU(a, b).u, pairCountU(a, b));
  }
});

test('Mann–Whitney p by the normal approximation matches the hand computation', () => {
  // U = 9, μ = 4.5, σ² = 9/12 · 7 = 5.25, z = (9 − 4.5 − 0.5) / √5.25 = 1.7457, p = 2(1 − Φ(z)) = 0.0809
  const result = mannWhitneyU([1, 2, 3], [4, 5, 6]);
  assert.equal(result.u, 9);
  assert.ok(Math.abs(result.z - 1.7457) < 1e-4, `z ${result.z}`);
  assert.ok(Math.abs(result.p - 0.0809) < 1e-3, `p ${result.p}`);
  assert.equal(mannWhitneyU([5, 5, 5], [5, 5]).p, 1, 'all tied: no evidence');
});

test('quantiles interpolate between closest ranks (Hyndman–Fan 7)', () => {
  assert.equal(quantileOfSorted([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(quantileOfSorted([10, 20], 0.9), 19);
  assert.equal(quantileOfSorted([3], 0.99), 3);
});

test('the bootstrap is reproducible by seed and its interval covers a known 10 % change', () => {
  const random = seededUniform(3);
  const baseline = lognormal(random, 400, 100, 0.1);
  const candidate = lognormal(random, 400, 110, 0.1);
  const median = (s: Parameters<typeof weightedQuantile>[0]) => weightedQuantile(s, 0.5);
  const one = bootstrapRelativeChange(sample(baseline).units, sample(candidate).units, median, { seed: 5 });
  const two = bootstrapRelativeChange(sample(baseline).units, sample(candidate).units, median, { seed: 5 });
  assert.deepEqual(one, two);
  assert.ok(one.low < 0.1 && one.high > 0.1, `interval [${one.low}, ${one.high}]`);
  assert.ok(one.low > 0.05 && one.high < 0.15, `interval [${one.low}, ${one.high}] too wide`);
});

/** The bootstrap the slow way: pool each resample's values and sort them (same draws, same order). */
function referenceInterval(baseline: Units, candidate: Units, q: number | 'mean', resamples: number, seed: number) {
  const random = seededUniform(seed);
  const draw = (units: Units) => units.flatMap(() => units[Math.floor(random() * units.length)]!).sort((a, b) => a - b);
  const statistic = (sorted: number[]) =>
    q === 'mean' ? sorted.reduce((sum, v) => sum + v, 0) / sorted.length : quantileOfSorted(sorted, q);
  const changes: number[] = [];
  for (let i = 0; i < resamples; i++) {
    const c = draw(candidate);
    changes.push(statistic(c) / statistic(draw(baseline)) - 1);
  }
  changes.sort((a, b) => a - b);
  return [quantileOfSorted(changes, 0.025), quantileOfSorted(changes, 0.975)];
}

test('the weighted bootstrap equals pooling and sorting every resample, ties and uneven units included', () => {
  const random = seededUniform(21);
  const units = (n: number, shift: number): Units =>
    Array.from({ length: n }, () =>
      Array.from({ length: 1 + Math.floor(random() * 5) }, () => shift + Math.floor(random() * 20)),
    );
  const baseline = units(30, 10);
  const candidate = units(25, 12);
  const qs = [0.5, 0.9, 0.99] as const;
  const fast = bootstrapRelativeChanges(
    baseline,
    candidate,
    [...qs.map((q) => (s: Parameters<typeof weightedMean>[0]) => weightedQuantile(s, q)), weightedMean],
    { resamples: 300, seed: 9 },
  );
  [...qs, 'mean' as const].forEach((q, i) => {
    const [low, high] = referenceInterval(baseline, candidate, q, 300, 9);
    assert.ok(
      Math.abs(fast[i]!.low - low!) < 1e-12 && Math.abs(fast[i]!.high - high!) < 1e-12,
      `${q}: ${fast[i]!.low} ${low}`,
    );
  });
});

// B = 100 resamples instead of the default 2000 in the two rate tests below, so 1,000 whole
// comparisons stay within seconds; a coarser interval only adds noise to each verdict.
const FAST = { alpha: 0.05, noise: 0.02, resamples: 100 };

test('on two samples of one distribution "faster"/"slower" comes in at most alpha of 1,000 draws', () => {
  const random = seededUniform(11);
  let called = 0;
  for (let draw = 0; draw < 1000; draw++) {
    const a = sample(lognormal(random, 200, 100, 0.15));
    const b = sample(lognormal(random, 200, 100, 0.15));
    if (compareSamples('ttft', a, b, { ...FAST, seed: draw }).verdict !== 'no significant difference') called++;
  }
  assert.ok(called / 1000 <= FAST.alpha, `${called} of 1000 draws called a change`);
});

test('a 10 % shift at 200 requests a side is called "slower" in at least 95 % of draws', () => {
  const random = seededUniform(13);
  let slower = 0;
  let faster = 0;
  const draws = 300;
  for (let draw = 0; draw < draws; draw++) {
    const a = lognormal(random, 200, 100, 0.15);
    const b = lognormal(random, 200, 110, 0.15);
    if (compareSamples('ttft', sample(a), sample(b), { ...FAST, seed: draw }).verdict === 'slower') slower++;
    if (compareSamples('ttft', sample(b), sample(a), { ...FAST, seed: draw }).verdict === 'faster') faster++;
  }
  assert.ok(slower / draws >= 0.95, `slower in ${slower} of ${draws}`);
  assert.ok(faster / draws >= 0.95, `faster in ${faster} of ${draws}`);
});

test('a significant change inside the noise band is no significant difference', () => {
  const random = seededUniform(17);
  // 1 % shift with tiny spread: the rank test rejects, but the change is within the 2 % noise threshold
  const a = lognormal(random, 2000, 100, 0.01);
  const b = lognormal(random, 2000, 101, 0.01);
  const result = compareSamples('tpot', sample(a), sample(b), { ...FAST, seed: 1 });
  assert.ok(result.rankTest.p < 0.001, `p ${result.rankTest.p}`);
  assert.equal(result.verdict, 'no significant difference');
  assert.equal(compareSamples('tpot', sample(a), sample(b), { ...FAST, noise: 0.005, seed: 1 }).verdict, 'slower');
});

function record(id: number, sentAtMs: number, ttftMs: number, itlMs: number, tokens: number): RequestRecord {
  const first = sentAtMs + ttftMs;
  const arrivals = Array.from({ length: tokens }, (_, k) => ({
    atMs: first + k * itlMs,
    tokens: 1,
    channel: 'content' as const,
  }));
  const last = first + (tokens - 1) * itlMs;
  return {
    id,
    phase: 'measure',
    stage: 0,
    scheduledAtMs: sentAtMs,
    sentAtMs,
    headersAtMs: sentAtMs + 1,
    firstContentAtMs: first,
    firstReasoningAtMs: null,
    lastContentAtMs: last,
    endAtMs: last + 1,
    promptTokens: 8,
    outputTokens: tokens,
    outputTokenSource: 'usage',
    clientCountedTokens: tokens,
    arrivals,
    engine: null,
    error: null,
  };
}

test('samples come from measured, succeeded requests; ITL pools every token interval by request', () => {
  const records: RequestRecord[] = [
    record(0, 0, 20, 10, 5),
    record(1, 100, 30, 12, 3),
    { ...record(2, 200, 25, 10, 4), phase: 'warmup' },
    { ...record(3, 300, 25, 10, 4), error: { kind: 'timeout', message: 'late' } },
  ];
  const samples = metricSamples(records);
  assert.deepEqual(samples.ttft.perRequest, [20, 30]);
  assert.deepEqual(samples.tpot.perRequest, [10, 12]);
  assert.deepEqual(samples.e2e.perRequest, [61, 55]);
  assert.deepEqual(samples.itl.units, [
    [10, 10, 10, 10],
    [12, 12],
  ]);
  assert.deepEqual(samples.itl.perRequest, [10, 12]);
});

const facts: RunFacts = {
  id: 'A',
  model: 'qwen.gguf',
  modelSha256: 'aa',
  engine: 'llamacpp',
  mode: 'docker',
  engineImage: 'kitt/llama-server:cpu',
  hardwareFingerprint: 'hw1',
  limits: { cpus: 2, memoryBytes: 1 },
  loadShape: { kind: 'constant-rate', rate: 2 },
  prompts: { kind: 'synthetic', inputTokens: 64 },
};

test('comparability names each difference and refuses only different models', () => {
  assert.deepEqual(judgeComparability(facts, { ...facts, id: 'B', limits: { memoryBytes: 1, cpus: 2 } }), {
    refusal: null,
    warnings: [],
  });
  const differing = judgeComparability(facts, {
    ...facts,
    id: 'B',
    hardwareFingerprint: 'hw2',
    limits: { cpus: 4, memoryBytes: 1 },
    prompts: { kind: 'synthetic', inputTokens: 128 },
  });
  assert.equal(differing.refusal, null);
  assert.deepEqual(differing.warnings, [
    'hardware fingerprint: "hw1" vs "hw2"',
    'limits: cpus 2 vs 4',
    'prompt lengths: inputTokens 64 vs 128',
  ]);
  const loads = judgeComparability(
    { ...facts, loadShape: { kind: 'fixed-concurrency', concurrency: 1, warmup: { requests: 1 } } },
    { ...facts, id: 'B', loadShape: { kind: 'fixed-concurrency', concurrency: 4, warmup: { durationS: 2 } } },
  );
  assert.deepEqual(loads.warnings, [
    'load shape: concurrency 1 vs 4, warmup.requests 1 vs none, warmup.durationS none vs 2',
  ]);
  assert.deepEqual(judgeComparability(facts, { ...facts, id: 'B', limits: undefined }).warnings, [
    'limits: {"cpus":2,"memoryBytes":1} vs unknown',
  ]);
  const otherModel = judgeComparability(facts, { ...facts, id: 'B', model: 'llama.gguf', modelSha256: 'bb' });
  assert.match(otherModel.refusal ?? '', /different models \(qwen\.gguf sha256 aa vs llama\.gguf sha256 bb\)/);
  assert.match(judgeComparability(facts, { ...facts, id: 'B', modelSha256: 'cc' }).refusal ?? '', /different models/);
});

test('a metric keeps its interval whichever other metrics are chosen', () => {
  const random = seededUniform(23);
  const run = (id: string, itlMs: number) => ({
    id,
    records: Array.from({ length: 40 }, (_, i) => record(i, i * 500, 20 + random() * 5, itlMs + random(), 6)),
  });
  const a = run('A', 10);
  const b = run('B', 11);
  const alone = compareRuns(a, b, { metrics: ['itl'], resamples: 200 }).latencies[0]!;
  const among = compareRuns(a, b, { resamples: 200 }).latencies.find((l) => l.metric === 'itl')!;
  assert.deepEqual(alone, among);
  assert.equal(compareRuns(a, b, { metrics: ['ttft', 'throughput'] }).rates[0]!.metric, 'throughput');
});
