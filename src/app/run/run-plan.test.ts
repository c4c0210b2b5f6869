import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { DEFAULT_CONFIG, type KittConfig } from '../../config/config-schema.js';
import { mergeConfig } from '../../config/load-config.js';
import { KittError } from '../../core/errors.js';
import { planRun } from './run-plan.js';

const context = { runId: 'r' };

function configWith(over: unknown): KittConfig {
  return mergeConfig(DEFAULT_CONFIG, over);
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-plan-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function planError(run: Promise<unknown>): Promise<KittError> {
  try {
    await run;
  } catch (error) {
    assert.ok(error instanceof KittError, String(error));
    return error;
  }
  assert.fail('expected the plan to be refused');
}

test('the SLO takes units (ttft=1s) and becomes per-request bounds in milliseconds', async () => {
  const plan = await planRun({ slo: 'ttft=1s,tpot=50ms' }, DEFAULT_CONFIG, context);
  assert.deepEqual(plan.slo, { ttftMs: 1000, tpotMs: 50 });
});

test('percentile terms (ttft-p99=800ms) are kept apart from the per-request bounds', async () => {
  const plan = await planRun({ slo: 'ttft=1s,ttft-p99=800ms,itl-p95=20ms' }, DEFAULT_CONFIG, context);
  assert.deepEqual(plan.slo, { ttftMs: 1000 });
  assert.deepEqual(
    plan.sloPercentiles?.map((t) => [t.metric, t.percentile, t.boundMs]),
    [
      ['ttft', 99, 800],
      ['itl-max', 95, 20],
    ],
  );
  const only = await planRun({ slo: 'e2e-p50=2s' }, DEFAULT_CONFIG, context);
  assert.equal(only.slo, undefined);
  assert.equal(only.sloPercentiles?.length, 1);
});

test('engines.<name>.port is the default port, under --port, over run.port', async () => {
  const config = configWith({ run: { engine: 'llamacpp', port: 9100 }, engines: { llamacpp: { port: 9200 } } });
  assert.equal((await planRun({}, config, context)).engine.port, 9200);
  assert.equal((await planRun({ port: '9300' }, config, context)).engine.port, 9300);
  assert.equal((await planRun({ engine: 'vllm' }, config, context)).engine.port, 9100, 'run.port for the others');
});

test('the chosen engine profile brings its limits over the configured ones, and flags go over both', async () => {
  const config = configWith({
    run: { engine: 'llamacpp', profile: 'big' },
    limits: { cpus: 1, memory: '1g', pids: 64 },
    engines: { profiles: { big: { engine: 'llamacpp', limits: { cpus: 4, memory: '8g' } } } },
  });
  const plan = await planRun({ memory: '2g' }, config, context);
  assert.deepEqual(plan.engine.limits, {
    cpus: 4,
    pids: 64,
    memoryBytes: 2 * 1024 ** 3,
    memorySwapBytes: 2 * 1024 ** 3,
  });
  const error = await planError(planRun({}, configWith({ run: { profile: 'nope' } }), context));
  assert.match(error.message, /no engine profile "nope"/);
});

test('a bad dataset is found by the plan, naming the line, before any engine starts', async (t) => {
  const dir = tempDir(t);
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, '{"prompt": "hello"}\n{"text": "no prompt"}\n');
  const error = await planError(planRun({ dataset: bad }, DEFAULT_CONFIG, context));
  assert.equal(error.code, 'DATASET_INVALID');
  assert.match(error.message, /bad\.jsonl:2: expected an object with a non-empty "prompt" string/);
  const both = await planError(planRun({ dataset: join(dir, 'missing.jsonl'), rate: '5' }, DEFAULT_CONFIG, context));
  assert.equal(both.code, 'USAGE', 'with a usage problem beside it the whole is a usage error');
  assert.match(both.message, /^2 problems with the options:\n {2}--rate applies.*\n {2}cannot read dataset/);
  writeFileSync(join(dir, 'ok.jsonl'), '{"prompt": "hello", "max_tokens": 8}\n');
  const plan = await planRun({ dataset: join(dir, 'ok.jsonl') }, DEFAULT_CONFIG, context);
  assert.equal(plan.load.prompts?.kind, 'dataset');
});

test('the engine gets as many slots as the load keeps in flight, at most 8', async () => {
  assert.equal((await planRun({ concurrency: '6' }, DEFAULT_CONFIG, context)).engine.parallel, 6);
  assert.equal((await planRun({ load: 'constant-rate', rate: '2' }, DEFAULT_CONFIG, context)).engine.parallel, 4);
  assert.equal((await planRun({ parallel: '2', concurrency: '6' }, DEFAULT_CONFIG, context)).engine.parallel, 2);
});

test('the configured load kind is checked against the one list of kinds, and its defaults are numbers', async () => {
  const error = await planError(planRun({}, configWith({ run: { load: { kind: 'burst' } } }), context));
  assert.match(error.message, /run\.load\.kind "burst" in the config is not a load kind/);
  assert.match(error.hint ?? '', /ramp-rate, ramp-concurrency, sweep/);
  const config = configWith({ run: { load: { kind: 'poisson', rate: 2.5, duration: '1h' } } });
  const plan = await planRun({}, config, context);
  assert.equal(plan.load.kind === 'poisson' && plan.load.rate, 2.5);
  assert.equal(plan.load.durationS, 3600);
  assert.equal(plan.load.requests, undefined, 'a configured duration replaces the default count');
});

test('run.target in config plans a target run: nothing to launch, the key by its variable name only', async () => {
  const config = configWith({ run: { target: 'http://127.0.0.1:8000/v1', api: 'chat', apiKeyEnv: 'PLAN_KEY' } });
  const plan = await planRun({}, config, { runId: 'r', env: { PLAN_KEY: 'the-key-itself' } });
  assert.deepEqual(plan.target, {
    url: 'http://127.0.0.1:8000',
    headers: {},
    api: 'openai-chat',
    apiKeyEnv: 'PLAN_KEY',
  });
  assert.equal(plan.engine.mode, 'external');
  assert.deepEqual(plan.engine.limits, {});
  assert.ok(!JSON.stringify(plan).includes('the-key-itself'), 'the plan never holds the key');
});

test('with --target, every launch flag and a bad load flag are reported together', async () => {
  const error = await planError(
    planRun({ target: 'http://127.0.0.1:8000', gpus: 'all', port: '9000', requests: '0' }, DEFAULT_CONFIG, context),
  );
  assert.equal(error.code, 'USAGE');
  assert.match(error.message, /--gpus launches an engine/);
  assert.match(error.message, /--port launches an engine/);
  assert.match(error.message, /--requests/);
});

test('--repeat: 1 by default, a whole number from 1 to 100, every bad value reported with the fix', async () => {
  assert.equal((await planRun({}, DEFAULT_CONFIG, context)).repeat, 1);
  assert.equal((await planRun({ repeat: '5' }, DEFAULT_CONFIG, context)).repeat, 5);
  for (const bad of ['0', 'x', '2.5', '-1']) {
    const error = await planError(planRun({ repeat: bad }, DEFAULT_CONFIG, context));
    assert.equal(error.code, 'USAGE');
    const text = `${error.message} (${error.hint})`;
    assert.match(text, new RegExp(`--repeat must be a whole number above 0, got "${bad}"`));
    assert.match(text, /e\.g\. --repeat 3/);
  }
  const many = await planError(planRun({ repeat: '101' }, DEFAULT_CONFIG, context));
  assert.match(many.message, /--repeat 101 is more than 100 runs/);
});

test('--rate calibrated offers the tokens/s kitt calibrate found for this engine and limits, at this run request size', async () => {
  const config = configWith({
    compute: { rates: { 'llamacpp/1cpu-2GiB': { value: 3, unit: 'requests/s' } } },
  });
  const engine = { engine: 'llamacpp', cpus: '1', memory: '2g', load: 'constant-rate', rate: 'calibrated' };
  // calibration requests are 128 + 64 tokens: at those sizes the rate is the calibrated one
  const same = await planRun({ ...engine, promptTokens: '128', outputTokens: '64' }, config, context);
  assert.equal(same.load.kind === 'constant-rate' && same.load.rate, 3);
  // half the tokens a request: twice the requests for the same 576 tokens/s
  const half = await planRun({ ...engine, promptTokens: '64', outputTokens: '32' }, config, context);
  assert.equal(half.load.kind === 'constant-rate' && half.load.rate, 6);
  assert.match(half.rateNote ?? '', /576 tokens\/s over 96 tokens a request .* = 6 requests\/s/);
  const uncalibrated = await planError(planRun({ ...engine, cpus: '2' }, config, context));
  assert.match(uncalibrated.message, /no calibrated rate for llamacpp\/2cpu-2GiB/);
  assert.match(
    `${uncalibrated.message} ${uncalibrated.hint ?? ''}`,
    /run kitt calibrate with the same engine and limits/,
  );
  const target = await planError(
    planRun({ target: 'http://127.0.0.1:9', load: 'constant-rate', rate: 'calibrated' }, config, context),
  );
  assert.match(target.message, /--rate calibrated needs the engine and limits kitt starts/);
});
