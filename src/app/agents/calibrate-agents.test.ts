import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { StepRecord } from '../../agents/step-record.js';
import { KittError } from '../../core/errors.js';
import type { StatsSeries } from '../../runtime/sample-stats.js';
import { RecordingProgress } from '../../testing/recording-progress.js';
import { keepFailedCalibration } from './agents-result.js';
import {
  AGENTS_CALIBRATION_DEFAULTS,
  type AgentsCalibrationSettings,
  type AgentsWindow,
  calibrateByAgents,
  measureAgentsWindow,
  type RunWindow,
  towardBandMiddle,
} from './calibrate-agents.js';

function step(sentAtMs: number, charged: number, bucketWaitMs: number): StepRecord {
  return {
    startedAtMs: sentAtMs - bucketWaitMs,
    bucketWaitMs,
    bucketTokens: { reserved: charged, charged },
    context: { estimatedTokens: charged - 64, turns: 1, droppedTurns: 0 },
    think: {
      sentAtMs,
      ttftMs: 10,
      e2eMs: 100,
      promptTokens: charged - 64,
      outputTokens: 64,
      cachedTokens: null,
      error: null,
      answer: '',
    },
  } as unknown as StepRecord;
}

function cpuSeries(mean: number): StatsSeries {
  return { samples: [], summary: { sampleCount: 5, cpuPercentOfLimit: { mean, max: mean } } } as unknown as StatsSeries;
}

test('an agents window the engine paces: offered is the bucket rate, achieved the tokens of thinks sent inside it, CPU the mean sample', () => {
  const records = [step(1_050, 300, 50), step(2_950, 300, 0), step(6_500, 300, 0)];
  const m = measureAgentsWindow({ records, stats: cpuSeries(72), tokensPerS: 200, startMs: 1_000, durationMs: 5_000 });
  assert.equal(m.offeredRate, 200);
  assert.equal(m.achievedRate, 120); // 600 tokens in 5 s: the think sent after the window is not its own
  assert.equal(m.cpuPercentOfLimit, 72);
  assert.equal(m.requests, 2);
  assert.equal(m.meanBucketWaitMs, 25);
});

test("an agents window's CPU leaves out the reading that covers the idle gap before it", () => {
  const samples = [400, 1_300, 2_300, 3_300].map((atMs, i) => ({ atMs, cpuPercentOfLimit: i === 0 ? 10 : 90 }));
  const stats = {
    samples,
    summary: { sampleCount: 4, cpuPercentOfLimit: { mean: 70, max: 90 } },
  } as unknown as StatsSeries;
  const m = measureAgentsWindow({ records: [], stats, tokensPerS: 100, startMs: 0, durationMs: 4_000 });
  assert.equal(m.cpuPercentOfLimit, 90);
});

test('an agents window the bucket paces achieved the offered rate, however few whole thinks fit in it', () => {
  // 5 tokens/s: the first 300-token think waits a minute, past the window's end
  const records = [step(61_000, 300, 60_000)];
  const m = measureAgentsWindow({ records, stats: cpuSeries(3), tokensPerS: 5, startMs: 0, durationMs: 5_000 });
  assert.equal(m.achievedRate, 5);
  assert.equal(m.requests, 0);
});

/**
 * A synthetic engine: CPU proportional to the tokens/s it serves (0.05 % per token/s), and it
 * serves at most 1700 tokens/s (85 %): the controller must land between 1600 tokens/s (80 %) and the knee (1700 / 0.95, achieved / offered).
 */
const engineAt: RunWindow = async (tokensPerS, durationMs) => {
  const served = Math.min(tokensPerS, 1700);
  const thinks = Math.max(1, Math.floor((served * durationMs) / 1000 / 300));
  const wait = tokensPerS < 1700 ? 20 : 0;
  const records = Array.from({ length: thinks }, (_, i) => step((i * durationMs) / thinks + wait, 300, wait));
  return { records, stats: cpuSeries(Math.min(100, served * 0.05)), startMs: 0 };
};

/** An engine the bucket paces at every rate, its CPU given by the rate. */
function pacedEngine(cpuAt: (tokensPerS: number) => number): RunWindow {
  return async (tokensPerS, durationMs) => {
    const thinks = Math.max(1, Math.floor((tokensPerS * durationMs) / 1000 / 300));
    const records = Array.from({ length: thinks }, (_, i) => step((i * durationMs) / thinks + 20, 300, 20));
    return { records, stats: cpuSeries(cpuAt(tokensPerS)), startMs: 0 };
  };
}

function calibrate(
  runWindow: RunWindow,
  startTokensPerS: number,
  settings: Partial<AgentsCalibrationSettings> = {},
  progress = new RecordingProgress(),
) {
  return calibrateByAgents(
    {
      key: 'k:agents',
      settings: { ...AGENTS_CALIBRATION_DEFAULTS, ...settings },
      startTokensPerS,
      startFrom: 'completions',
      runWindow,
      signal: new AbortController().signal,
    },
    progress,
  );
}

test('the agents calibration steers calibrate’s controller into the band from a start above it, then soaks', async () => {
  const found = await calibrate(engineAt, 2895, { windowMs: 10_000, maxWindows: 10 });
  assert.ok(found.tokensPerS >= 1600 && found.tokensPerS <= 1790, `found ${found.tokensPerS}`);
  assert.equal(found.windows[0]!.verdict, 'saturated');
  assert.equal(found.windows.at(-1)!.kind, 'soak');
  assert.ok(found.windows.length <= 11);
});

test('from the seed’s 5 tokens/s the controller grows into the band', async () => {
  const found = await calibrate(engineAt, 5, { windowMs: 10_000, maxWindows: 10 });
  assert.ok(found.tokensPerS >= 1600 && found.tokensPerS <= 1790, `found ${found.tokensPerS}`);
  assert.equal(found.windows[0]!.tokensPerS, 5);
});

test('a band above what the engine reaches settles at the highest rate it serves, as calibrate keeps CPU below the band', async () => {
  const found = await calibrate(engineAt, 2895, { cpuBand: { low: 95, high: 99 } });
  assert.ok(found.tokensPerS <= 1790 && found.tokensPerS > 1600, `found ${found.tokensPerS}`);
});

function soaked(tokensPerS: number, cpuPercentOfLimit: number) {
  return {
    kind: 'soak' as const,
    tokensPerS,
    achievedTokensPerS: tokensPerS,
    cpuPercentOfLimit,
    meanBucketWaitMs: 0,
    steps: 10,
    verdict: 'in-band',
    reasons: [],
    next: '',
  };
}

test("a rate soaked in the band's upper half is lowered in proportion to its middle; one soaked lower is kept", () => {
  const band = { low: 80, high: 90 };
  const high = towardBandMiddle(2144, [soaked(2000, 81), soaked(2144, 88)], band);
  assert.equal(Math.round(high.tokensPerS), Math.round((2144 * 85) / 88));
  assert.match(high.note ?? '', /lowered to 2071 tokens\/s for the band's middle \(85 %; soak at 88\.0 %\)/);
  assert.deepEqual(towardBandMiddle(2000, [soaked(2000, 82)], band), { tokensPerS: 2000 });
  // below the band (a band above the engine's knee) and above it (the last soak that failed) are not moved
  assert.deepEqual(towardBandMiddle(1700, [soaked(1700, 75)], band), { tokensPerS: 1700 });
  assert.deepEqual(towardBandMiddle(1700, [soaked(1700, 93)], band), { tokensPerS: 1700 });
});

test('when no soak holds, the one-line error carries every window measured, for the run to keep', async () => {
  // an engine whose CPU reads above the band at any rate: the host slowed under the soaks
  const alwaysHot = pacedEngine(() => 95);
  const failure = await calibrate(alwaysHot, 2000, { maxWindows: 3 }).then(
    () => assert.fail('calibration cannot succeed above the band'),
    (error: unknown) => error,
  );
  assert.ok(failure instanceof KittError && failure.code === 'CALIBRATION_FAILED', String(failure));
  assert.doesNotMatch(failure.message, /\n/);
  const windows = failure.details?.agentsWindows as AgentsWindow[];
  assert.ok(windows.length >= 2, `windows ${windows.length}`);
  assert.ok(windows.every((w) => w.cpuPercentOfLimit === 95 && w.verdict === 'over-band'));
  assert.notEqual(windows.at(-1)!.next, '', 'the last window says what came of it');

  const dir = mkdtempSync(join(tmpdir(), 'kitt-agents-calibration-'));
  try {
    const kept = await keepFailedCalibration(failure, dir);
    assert.ok(kept instanceof KittError && kept.code === 'CALIBRATION_FAILED');
    assert.equal(kept.message, failure.message);
    const file = join(dir, 'agents-calibration.json');
    assert.match(kept.hint ?? '', new RegExp(`^its windows are in ${file}; widen it`));
    const written = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(written.outcome, 'failed');
    assert.deepEqual(written.windows, windows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the soak runs at the rate the run gets: the probes' top rate lowered to the band's middle", async () => {
  // CPU in proportion to the rate, no saturation: the band's top (90 %) is at 1800 tokens/s
  const linear = pacedEngine((tokensPerS) => tokensPerS * 0.05);
  const progress = new RecordingProgress();
  const found = await calibrate(linear, 1000, { cpuBand: { low: 80, high: 90 } }, progress);
  const soaks = found.windows.filter((w) => w.kind === 'soak');
  assert.equal(soaks.length, 1, 'the soak at the middle holds at once');
  const topProbe = Math.max(
    ...found.windows.filter((w) => w.kind === 'probe' && w.verdict === 'in-band').map((w) => w.tokensPerS),
  );
  assert.ok(topProbe * 0.05 > 85, `the probes reached the band's upper half (${topProbe})`);
  assert.ok(
    Math.abs(soaks[0]!.tokensPerS - (topProbe * 85) / (topProbe * 0.05)) < 1e-6,
    `soak at ${soaks[0]!.tokensPerS}`,
  );
  assert.ok(Math.abs(soaks[0]!.cpuPercentOfLimit! - 85) < 1e-6);
  assert.equal(found.tokensPerS, soaks[0]!.tokensPerS, 'a soak at the middle is the run’s rate, not lowered again');
  assert.ok(
    progress.events.some((line) =>
      /agents soak at 1700 tokens\/s \(soak at [\d.]+: .*lowered to 1700 tokens\/s for the band's middle \(85 %; probe at/.test(
        line,
      ),
    ),
    progress.events.join('\n'),
  );
});
