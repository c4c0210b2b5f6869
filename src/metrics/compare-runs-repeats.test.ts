import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededUniform, type Uniform } from './bootstrap.js';
import { type ComparedSeries, compareRepeats, welchTest } from './compare-runs-repeats.js';
import { repeatStatistic } from './summarize-repeats.js';

const close = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);

/** Normal draws around `mean` with relative spread `cv` (Box–Muller on a seeded uniform). */
function normal(random: Uniform, n: number, mean: number, cv: number): number[] {
  return Array.from({ length: n }, () => {
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    return mean * (1 + cv * z);
  });
}

/** A series whose repeats measured TTFT p50 and output tok/s as given. */
function series(id: string, ttft: readonly number[], tokensPerS: readonly number[] = ttft): ComparedSeries {
  return {
    id,
    repeats: ttft.length,
    statistics: {
      outputTokensPerS: repeatStatistic('output', 'tok/s', tokensPerS),
      'ttftMs.p50': repeatStatistic('TTFT p50', 'ms', ttft),
    },
  };
}

test("Welch's t, degrees of freedom, p and interval equal SciPy's ttest_ind(equal_var=False)", () => {
  // scipy.stats.ttest_ind(b, a, equal_var=False): t 5.048922668424604, p 0.0020562264445815044, df 6.2673925800352;
  // half width t.ppf(0.975, df) · se = 0.4676803422826597
  const a = [10.2, 9.8, 10.5, 10.1, 9.9];
  const b = [11.0, 11.4, 10.7, 11.2];
  const welch = welchTest(a, b, 0.05);
  close(welch.t, 5.048922668424604, 1e-9, 't');
  close(welch.df, 6.2673925800352, 1e-9, 'df');
  close(welch.p, 0.0020562264445815044, 1e-9, 'p');
  close(welch.difference, 0.975, 1e-12, 'difference');
  close(welch.high - welch.difference, 0.4676803422826597, 1e-7, 'half width');
  const exact = welchTest([5, 5], [5, 5], 0.05);
  assert.equal(exact.p, 1, 'no spread and no difference: no evidence');
  assert.throws(() => welchTest([1], [1, 2], 0.05), /two values a side/);
});

test('across repeats the verdict sits on the primary figure, with the sign read by direction', () => {
  const base = series('A', [100, 101, 99, 100, 100], [50, 51, 49, 50, 50]);
  const cand = series('B', [120, 121, 119, 120, 121], [40, 41, 39, 40, 40]);
  const report = compareRepeats(base, cand);
  assert.deepEqual(report.repeats, { baseline: 5, candidate: 5 });
  const ttft = report.metrics.find((m) => m.key === 'ttftMs.p50')!;
  const tokens = report.metrics.find((m) => m.key === 'outputTokensPerS')!;
  assert.equal(ttft.verdict, 'slower', 'TTFT up 20 %');
  assert.equal(tokens.verdict, 'slower', 'output tok/s down 20 %: lower throughput is slower');
  close(ttft.change!.change, 0.202, 1e-3, 'relative change of the means');
  assert.equal(compareRepeats(cand, base).metrics.find((m) => m.key === 'outputTokensPerS')!.verdict, 'faster');
  assert.deepEqual(
    compareRepeats(base, cand, { metrics: ['ttft'] }).metrics.map((m) => m.key),
    ['ttftMs.p50'],
  );
  // a wide interval of a non-negative figure stops at −100 %: the candidate's mean cannot be below 0
  const wide = compareRepeats(series('A', [10, 100]), series('B', [1, 2])).metrics[0]!;
  assert.ok(wide.welch.low / 55 < -1, `unclipped low ${wide.welch.low / 55}`);
  assert.deepEqual([wide.change!.low, wide.change!.clipped], [-1, true]);
  assert.equal(ttft.change!.clipped, false);
  const one = compareRepeats(base, { ...series('C', [100]), repeats: 1 });
  assert.deepEqual(one.metrics, [], 'a figure with one value a side has no spread to test: left out');
});

test('on repeats of one distribution "faster"/"slower" comes in at most alpha of 1,000 draws', () => {
  for (const [n, cv] of [
    [5, 0.02],
    [3, 0.05],
    [2, 0.05],
  ] as const) {
    const random = seededUniform(31 + n);
    let called = 0;
    let significant = 0;
    for (let draw = 0; draw < 1000; draw++) {
      const report = compareRepeats(series('A', normal(random, n, 100, cv)), series('B', normal(random, n, 100, cv)));
      const ttft = report.metrics.find((m) => m.key === 'ttftMs.p50')!;
      if (ttft.verdict !== 'no significant difference') called++;
      if (ttft.welch.p < 0.05) significant++;
    }
    assert.ok(called / 1000 <= 0.05, `${n} repeats a side: ${called} of 1000 draws called a change`);
    // the test alone holds its level too (Welch is near exact for normal figures)
    assert.ok(significant / 1000 <= 0.065, `${n} repeats a side: p < 0.05 in ${significant} of 1000`);
  }
});

test('a 10 % shift with 2 % run-to-run noise and 5 repeats a side is called in at least 95 % of draws', () => {
  const random = seededUniform(37);
  let slower = 0;
  let faster = 0;
  const draws = 1000;
  for (let draw = 0; draw < draws; draw++) {
    const a = series('A', normal(random, 5, 100, 0.02));
    const b = series('B', normal(random, 5, 110, 0.02));
    if (compareRepeats(a, b).metrics.find((m) => m.key === 'ttftMs.p50')!.verdict === 'slower') slower++;
    if (compareRepeats(b, a).metrics.find((m) => m.key === 'ttftMs.p50')!.verdict === 'faster') faster++;
  }
  assert.ok(slower / draws >= 0.95, `slower in ${slower} of ${draws}`);
  assert.ok(faster / draws >= 0.95, `faster in ${faster} of ${draws}`);
});

test('a significant change across repeats inside the noise band is no significant difference', () => {
  const base = series('A', [100, 100.1, 99.9, 100, 100.05]);
  const cand = series('B', [101, 101.1, 100.9, 101, 101.05]);
  const ttft = compareRepeats(base, cand).metrics.find((m) => m.key === 'ttftMs.p50')!;
  assert.ok(ttft.welch.p < 0.001, `p ${ttft.welch.p}`);
  assert.equal(ttft.verdict, 'no significant difference', '1 % is inside the 2 % band');
  assert.equal(
    compareRepeats(base, cand, { noise: 0.005 }).metrics.find((m) => m.key === 'ttftMs.p50')!.verdict,
    'slower',
  );
});
