import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { parse } from 'yaml';
import { planAgents } from '../../app/agents/agents-plan.js';
import { createAgentsPorts } from '../../app/agents/agents-ports.js';
import { runAgents } from '../../app/agents/run-agents.js';
import { DEFAULT_CONFIG } from '../../config/config-schema.js';
import { newRunId } from '../../core/ids.js';
import { createDockerRuntime } from '../../runtime/docker/docker-runtime.js';
import { llamaCppImageReady } from '../../testing/docker-gate.js';
import { freePort } from '../../testing/free-port.js';
import { RecordingProgress } from '../../testing/recording-progress.js';
import { ensureTestModel } from '../../testing/test-model.js';
import { agentsRateSaver, autoCalibration } from './agents-calibrate.js';

/**
 * Tier 2, serial: `kitt agents --rate auto` against the llama.cpp container: the calibration of
 * kitt calibrate first (short windows), then the agents at its rate and under its contexts.
 */

function scratch(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-agents-auto-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('--rate auto calibrates the container first, then paces the agents at its rate and caps them at its contexts', async (t) => {
  if (!(await llamaCppImageReady(t))) return;
  const home = scratch(t);
  const env = { PATH: process.env.PATH, KITT_HOME: home };
  const runId = newRunId();
  const plan = planAgents(
    {
      engine: 'llamacpp',
      mode: 'docker',
      model: await ensureTestModel(),
      cpus: '1',
      memory: '128m',
      threads: '1',
      port: String(await freePort()),
      rate: 'auto',
      agents: '3',
      steps: '2',
      toolLatency: '10ms',
      calibrateWindow: '3s',
      calibrateWindows: '4',
      soak: '3s',
      targetCpu: '50-90',
    },
    DEFAULT_CONFIG,
    { runId, env },
  );
  const progress = new RecordingProgress();
  const ports = await createAgentsPorts({ config: DEFAULT_CONFIG, home, env, pull: false, progress });
  t.after(() => ports.close());
  const configPath = join(home, 'config.yaml');
  const calibrate = autoCalibration({
    home,
    env,
    configPath,
    settings: {
      policy: {
        objective: 'cpu',
        cpuBand: { low: 70, high: 90 },
        maxSoaks: 4,
        slo: undefined,
        startRate: 2,
        minRate: 2 / 64,
        maxRate: 200,
        maxWindows: 6,
        soak: true,
      },
      windowMs: 3000,
      soakMs: 4000,
    },
  });
  const outcome = await runAgents(
    { plan, rates: {}, home, config: DEFAULT_CONFIG, kittVersion: 'test' },
    { ...ports, calibrate, saveAgentsRate: agentsRateSaver(configPath) },
    { progress, signal: new AbortController().signal },
  );
  assert.equal(outcome.status, 'succeeded', outcome.failure?.message);
  assert.equal(outcome.rate.source, 'auto');
  const config = parse(readFileSync(configPath, 'utf8'));
  const key = 'llamacpp/1cpu-128MiB';
  const calibrated = config.compute.rates[key];
  assert.equal(calibrated.unit, 'requests/s');
  // the agents ran at the rate their own windows found, written apart from the completions rate
  const agents = config.compute.rates[`${key}:agents`];
  assert.equal(agents.unit, 'tokens/s');
  assert.equal(agents.value, Number(outcome.rate.tokensPerS!.toPrecision(4)));
  const contexts = config.compute.maxContexts[key];
  assert.ok(contexts.value >= 1);
  assert.deepEqual([outcome.contexts.cap, outcome.contexts.source], [contexts.value, 'auto']);
  assert.ok(outcome.metrics.contexts!.peakInFlight <= contexts.value);
  assert.ok(outcome.calibration && outcome.calibration.runId !== runId);
  const calibration = JSON.parse(readFileSync(join(outcome.calibration.resultDir!, 'calibration.json'), 'utf8'));
  assert.equal(calibration.contexts.status, 'measured');
  assert.equal(calibration.contexts.maxContexts, contexts.value);
  assert.ok(progress.events.some((line) => /--rate auto: calibrated llamacpp\/1cpu-128MiB at/.test(line)));
  assert.equal(outcome.metrics.steps, 6);
  t.diagnostic(
    `calibrated ${calibrated.value} req/s = ${outcome.rate.tokensPerS} tokens/s, ${contexts.value} contexts of ${contexts.contextTokens}; agents ${outcome.metrics.stepsPerS?.toFixed(2)} steps/s, bucket measured ${outcome.metrics.bucket?.measuredTokensPerS?.toFixed(1)} tokens/s`,
  );
  const runtime = createDockerRuntime();
  assert.deepEqual(await runtime.listManaged({ 'kitt.run-id': outcome.calibration.runId! }), []);
  assert.deepEqual(await runtime.listManaged({ 'kitt.run-id': runId }), []);
});
