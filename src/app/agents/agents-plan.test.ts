import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_CONFIG } from '../../config/config-schema.js';
import { mergeConfig } from '../../config/load-config.js';
import { KittError } from '../../core/errors.js';
import { planAgents } from './agents-plan.js';

/** The scenario example docs/agents.md shows, so the docs cannot drift from the schema. */
function documentedScenario(): string {
  const doc = readFileSync(new URL('../../../docs/agents.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## Scenario file'));
  return /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
}

test('the documented scenario file plans, and flags override its values', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-scenario-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'desk.yaml');
  writeFileSync(path, documentedScenario());
  const plan = planAgents({ scenario: path, agents: '2' }, DEFAULT_CONFIG, { runId: 'r1', env: {} });
  assert.equal(plan.spec.scenario, 'support-desk');
  assert.equal(plan.spec.agents, 2);
  assert.deepEqual(plan.spec.stop, { kind: 'steps', steps: 20 });
  assert.deepEqual(plan.spec.mix, { thinks: 2, acts: 1 });
  assert.deepEqual(
    plan.spec.tools.map((tool) => [tool.name, tool.latencyMs]),
    [
      ['lookup_order', 80],
      ['refund', 400],
      ['reply', 150],
    ],
  );
  assert.equal(plan.spec.goals.length, 2);
  assert.equal(plan.engine.parallel, 2, 'one engine slot per agent');
});

test('a missing scenario file, a bad field and a launch flag with --target are reported together', () => {
  assert.throws(
    () =>
      planAgents({ scenario: '/nonexistent/s.yaml', target: 'http://127.0.0.1:9', cpus: '1' }, DEFAULT_CONFIG, {
        runId: 'r1',
        env: {},
      }),
    (error: unknown) =>
      error instanceof KittError &&
      error.code === 'USAGE' &&
      /scenario file \/nonexistent\/s.yaml cannot be read/.test(error.message) &&
      /--cpus launches an engine and cannot go with --target/.test(error.message),
  );
});

test('the engine of an agents run takes the engine profile limits and the per-engine port, as kitt run does', () => {
  const config = mergeConfig(DEFAULT_CONFIG, {
    run: { engine: 'llamacpp', profile: 'big', port: 9100 },
    limits: { cpus: 1, pids: 64 },
    engines: { llamacpp: { port: 9200 }, profiles: { big: { engine: 'llamacpp', limits: { cpus: 4 } } } },
  });
  const plan = planAgents({ agents: '3' }, config, { runId: 'r1', env: {} });
  assert.deepEqual(plan.engine.limits, { cpus: 4, pids: 64 });
  assert.equal(plan.engine.port, 9200);
  assert.equal(plan.engine.parallel, 3);
});
