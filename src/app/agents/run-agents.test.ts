import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { StepRecord } from '../../agents/step-record.js';
import { DEFAULT_CONFIG } from '../../config/config-schema.js';
import { KittError } from '../../core/errors.js';
import { newRunId } from '../../core/ids.js';
import type { RunningEngine } from '../../engines/engine.js';
import { buildReport } from '../../export/report/build-report.js';
import { parseResultFiles, REPORT_INPUT_FILES } from '../../export/report/report-data.js';
import { openStore } from '../../store/open-store.js';
import { RecordingProgress } from '../../testing/recording-progress.js';
import { ensureTestModel } from '../../testing/test-model.js';
import { toRunListing } from '../shared/run-listing.js';
import { type AgentsCommandFlags, planAgents } from './agents-plan.js';
import { createAgentsPorts, memoryPath } from './agents-ports.js';
import { type AgentsOutcome, runAgents } from './run-agents.js';

/** Tier 1: agents against the embedded engine (llama.cpp in kitt's child process), memory in a real SQLite file. */
describe('kitt agents on the embedded engine', () => {
  let home: string;
  let model: string;
  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'kitt-agents-'));
    model = await ensureTestModel();
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  async function run(
    flags: AgentsCommandFlags,
    onStep?: (record: StepRecord, engine: RunningEngine) => void,
  ): Promise<{ outcome: AgentsOutcome; steps: StepRecord[] }> {
    const plan = planAgents({ model, threads: '1', ...flags }, DEFAULT_CONFIG, { runId: newRunId(), env: {} });
    const progress = new RecordingProgress();
    const real = await createAgentsPorts({ config: DEFAULT_CONFIG, home, env: {}, pull: false, progress });
    let started: RunningEngine | undefined;
    const ports = {
      ...real,
      startEngine: async (...args: Parameters<typeof real.startEngine>) => {
        started = await real.startEngine(...args);
        return started;
      },
    };
    const steps: StepRecord[] = [];
    try {
      const outcome = await runAgents({ plan, rates: {}, home, config: DEFAULT_CONFIG, kittVersion: 'test' }, ports, {
        progress,
        signal: new AbortController().signal,
        onStep: (record) => {
          steps.push(record);
          onStep?.(record, started!);
        },
      });
      return { outcome, steps };
    } finally {
      await real.close();
    }
  }

  test('records every step’s think, act and remember, in the result folder and the store', async () => {
    const { outcome, steps } = await run({ agents: '2', steps: '3', rate: '5000', scenario: undefined });
    assert.equal(outcome.status, 'succeeded');
    assert.equal(steps.length, 6);
    for (const step of steps) {
      assert.equal(step.think.error, null, step.think.error?.message);
      assert.ok(step.think.e2eMs > 0 && step.think.ttftMs !== null && step.think.ttftMs <= step.think.e2eMs);
      assert.ok((step.think.promptTokens ?? 0) > 0 && step.think.outputTokens > 0);
      assert.ok(step.act !== null && step.act.ms >= 0, 'mix 1:1: every think acts');
      assert.ok(step.remember.ms >= 0);
    }
    assert.deepEqual(steps.map((s) => `${s.agent}/${s.step}`).sort(), ['1/0', '1/1', '1/2', '2/0', '2/1', '2/2']);
    assert.equal(outcome.memory.before, 0);
    assert.equal(outcome.memory.after, 6);
    assert.equal(outcome.embedder.source, 'hash', 'the embedded engine serves no /v1/embeddings');
    const lines = readFileSync(join(outcome.resultDir, 'steps.jsonl'), 'utf8').trim().split('\n');
    assert.equal(lines.length, 6);
    const metrics = JSON.parse(readFileSync(join(outcome.resultDir, 'metrics.json'), 'utf8'));
    assert.equal(metrics.schema, 'kitt.agents-metrics.v1');
    assert.equal(metrics.agents.steps, 6);
    assert.match(readFileSync(join(outcome.resultDir, 'summary.md'), 'utf8'), /steps: 6 in/);
    const store = await openStore(join(home, 'kitt.db'));
    try {
      const stored = await store.getRun(outcome.runId);
      assert.equal(stored?.status, 'succeeded');
      assert.equal((stored!.metrics as { load: { kind: string } }).load.kind, 'agents');
      // kitt results list and the server's list show its figures, not blanks
      const listing = toRunListing(stored!);
      assert.deepEqual([listing.loadKind, listing.levels, listing.agents?.steps], ['agents', '2 agents', 6]);
      assert.equal(listing.requestsPerS, outcome.metrics.stepsPerS);
      assert.equal(listing.ttftP50Ms, outcome.metrics.thinkTtftMs.p50);
      assert.equal(listing.ttftP99Ms, outcome.metrics.thinkTtftMs.p99);
      assert.ok(listing.agents!.tokensPerS! > 0 && listing.outputTokensPerS! > 0);
      assert.ok(listing.outputTokensPerS! < listing.agents!.tokensPerS!);
      assert.match(
        listing.headline ?? '',
        /^6 steps by 2 agents, \d+\.\d\d steps\/s, think TTFT p50 \d+\.\d ms p99 \d+\.\d ms, \d+\.\d tokens\/s$/,
      );
    } finally {
      await store.close();
    }
  });

  test('a second run of the same scenario recalls the first run’s memories; --reset-memory forgets them', async () => {
    const second = await run({ agents: '2', steps: '2', rate: '5000', topK: '3' });
    assert.equal(second.outcome.memory.before, 6);
    const firstSteps = second.steps.filter((s) => s.step === 0);
    assert.equal(firstSteps.length, 2);
    for (const step of firstSteps) assert.equal(step.recall.hits, 3, 'the very first step recalls earlier runs');
    const reset = await run({ agents: '1', steps: '1', rate: '5000', resetMemory: true });
    assert.equal(reset.outcome.memory.reset, 10);
    assert.equal(reset.outcome.memory.before, 0);
    assert.equal(reset.steps[0]!.recall.hits, 0);
    assert.ok(memoryPath(home).startsWith(home));
  });

  test('the token bucket lets thinks through at its configured rate, within 5 %', async (t) => {
    const { outcome } = await run({
      agents: '3',
      steps: '6',
      rate: '1500',
      maxTokens: '16',
      toolLatency: '20ms',
      scenario: undefined,
    });
    const bucket = outcome.metrics.bucket;
    assert.ok(bucket && bucket.measuredTokensPerS !== null);
    assert.ok(bucket.waitedShare > 0.8, `the agents queued for the bucket (${bucket.waitedShare})`);
    assert.ok(
      Math.abs(bucket.relativeError!) < 0.05,
      `measured ${bucket.measuredTokensPerS.toFixed(1)} tokens/s against 1500 (${(bucket.relativeError! * 100).toFixed(2)} %)`,
    );
    assert.ok(bucket.waitMs.p50 !== null && bucket.waitMs.p99 !== null);
    t.diagnostic(
      `bucket 1500 tokens/s: measured ${bucket.measuredTokensPerS.toFixed(1)} (${(bucket.relativeError! * 100).toFixed(2)} %), ${outcome.metrics.stepsPerS?.toFixed(2)} steps/s, wait p50 ${bucket.waitMs.p50} ms p99 ${bucket.waitMs.p99} ms`,
    );
  });

  test('an engine killed mid-run ends the agents: the run is engine-failed with what was done kept', async () => {
    let killed = false;
    const { outcome, steps } = await run({ agents: '2', steps: '50', rate: '5000' }, (_record, engine) => {
      if (killed) return;
      killed = true;
      process.kill(Number(engine.handle), 'SIGKILL');
    });
    assert.equal(outcome.status, 'engine-failed');
    assert.equal(outcome.failure?.code, 'ENGINE_EXITED');
    assert.ok(steps.length >= 1 && steps.length < 100, `${steps.length} steps`);
    const stored = JSON.parse(readFileSync(join(outcome.resultDir, 'metrics.json'), 'utf8'));
    assert.equal(stored.status, 'engine-failed');
  });

  test('--max-contexts 2 keeps at most 2 of 4 agents thinking at once, the others waiting for a slot; the report draws the run', async (t) => {
    const { outcome, steps } = await run({
      agents: '4',
      steps: '3',
      rate: 'off',
      maxContexts: '2',
      toolLatency: '5ms',
    });
    assert.equal(outcome.status, 'succeeded');
    assert.deepEqual([outcome.contexts.cap, outcome.contexts.source], [2, 'flag']);
    const capped = outcome.metrics.contexts;
    assert.ok(capped);
    // measured from the thinks' own send and end times, not from the semaphore's count
    assert.equal(capped.peakInFlight, 2, 'the cap is reached and never passed');
    const waited = steps.filter((s) => s.contextWaitMs > 0);
    assert.ok(waited.length >= 2, 'unpaced, four agents start together: two wait for a slot');
    for (const step of waited) assert.ok(step.contextWaitMs < step.think.e2eMs * 3 + 1000);
    assert.equal(capped.waitMs.count, 12);
    const stored = JSON.parse(readFileSync(join(outcome.resultDir, 'metrics.json'), 'utf8'));
    assert.deepEqual([stored.contexts.cap, stored.agents.contexts.peakInFlight], [2, 2]);

    const html = readFileSync(join(outcome.resultDir, 'report.html'), 'utf8');
    const files = Object.fromEntries(
      REPORT_INPUT_FILES.map((name) => {
        try {
          return [name, readFileSync(join(outcome.resultDir, name), 'utf8')];
        } catch {
          return [name, undefined];
        }
      }),
    );
    const model = buildReport(parseResultFiles(files, 'agents'));
    const charts = new Map(model.sections.flatMap((section) => section.charts).map((chart) => [chart.id, chart]));
    const latency = charts.get('agents-think-latency');
    assert.ok(latency, [...charts.keys()].join(', '));
    assert.equal(latency.data[0]!.length, 12, 'one point per think');
    assert.ok(latency.data[1]!.every((ttft) => ttft !== null && ttft > 0));
    assert.deepEqual(charts.get('agents-context-length')?.data[0], [1, 2, 3]);
    const slotWaits = charts.get('agents-pacing-wait')!.data[2]!;
    assert.equal(slotWaits.filter((ms) => (ms ?? 0) > 0).length, waited.length);
    assert.ok(charts.get('agents-tokens-per-step')!.data[1]!.every((n) => (n ?? 0) > 0));
    assert.equal(
      model.headline.rows.find(([key]) => key === 'contexts')?.[1],
      'at most 2 thinks in flight (flag), peak 2',
    );
    for (const id of charts.keys()) assert.ok(html.includes(id), `report.html carries ${id}`);
    t.diagnostic(
      `slot waits: ${waited.map((s) => s.contextWaitMs.toFixed(0)).join(', ')} ms; ${outcome.metrics.stepsPerS?.toFixed(2)} steps/s`,
    );
  });

  test('--rate auto on the embedded engine is one usage line naming --rate N, before anything starts', () => {
    assert.throws(
      () => planAgents({ model, rate: 'auto' }, DEFAULT_CONFIG, { runId: newRunId(), env: {} }),
      (error: unknown) =>
        error instanceof KittError &&
        error.code === 'USAGE' &&
        /--rate auto calibrates a container kitt starts, not embedded in embedded mode/.test(error.message) &&
        /--rate N/.test(error.hint ?? ''),
    );
  });
});
