import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OptionIssues } from '../core/option-issues.js';
import { AGENTS_DEFAULTS, readAgentsSpec } from './agents-spec.js';
import { parseScenario } from './scenario.js';

test('with no flags and no file the defaults stand, named scenario "default"', () => {
  const issues = new OptionIssues();
  const spec = readAgentsSpec({}, undefined, undefined, issues);
  assert.deepEqual(issues.list, []);
  assert.equal(spec?.scenario, 'default');
  assert.equal(spec?.agents, AGENTS_DEFAULTS.agents);
  assert.deepEqual(spec?.stop, { kind: 'steps', steps: AGENTS_DEFAULTS.steps });
  assert.deepEqual(spec?.rate, { kind: 'calibrated' });
  assert.equal(spec?.tools.find((tool) => tool.name === 'search')?.latencyMs, AGENTS_DEFAULTS.toolLatencyMs);
});

test('flags override the scenario file, and a flag stop rule replaces the file one whole', () => {
  const { scenario } = parseScenario({
    name: 'desk',
    agents: 8,
    steps: 20,
    rate: 120,
    tools: [{ name: 'lookup', description: 'look up', latency: '50ms' }],
  });
  const issues = new OptionIssues();
  const spec = readAgentsSpec({ agents: '3', duration: '2m' }, scenario, 'desk-file', issues);
  assert.deepEqual(issues.list, []);
  assert.equal(spec?.scenario, 'desk');
  assert.equal(spec?.agents, 3);
  assert.deepEqual(spec?.stop, { kind: 'duration', durationMs: 120_000 });
  assert.deepEqual(spec?.rate, { kind: 'fixed', tokensPerS: 120 });
  assert.deepEqual(spec?.tools, [{ name: 'lookup', description: 'look up', latencyMs: 50 }]);
});

test('every bad option is reported at once, each with its fix', () => {
  const issues = new OptionIssues();
  const spec = readAgentsSpec(
    { agents: '0', steps: '3', duration: '1m', mix: '1:3', rate: 'fast', contextLimit: '16', maxTokens: '32' },
    undefined,
    undefined,
    issues,
  );
  assert.equal(spec, undefined);
  const problems = issues.list.map((issue) => issue.problem);
  assert.equal(problems.length, 5, problems.join('\n'));
  assert.match(problems.join('\n'), /--agents must be a whole number above 0/);
  assert.match(problems.join('\n'), /--steps and --duration both set/);
  assert.match(problems.join('\n'), /--mix 1:3 asks for more acts than thinks/);
  assert.match(problems.join('\n'), /--rate must be tokens\/s/);
  assert.match(problems.join('\n'), /--max-tokens 32 leaves no room in --context-limit 16/);
});

test('a scenario file names every bad field and a duplicated tool', () => {
  assert.deepEqual(parseScenario({ agents: -1, tools: [{ name: 'Bad Name', description: 'x' }] }).problems.length, 2);
  assert.match(
    parseScenario({
      tools: [
        { name: 'a', description: 'x' },
        { name: 'a', description: 'y' },
      ],
    }).problems[0]!,
    /"a" is listed twice/,
  );
  assert.match(parseScenario({ agentz: 2 }).problems[0]!, /agentz|Unrecognized/i);
});

test('--rate reads numbers as tokens/s and the words calibrated, auto and off', () => {
  const rate = (text: string) => readAgentsSpec({ rate: text }, undefined, undefined, new OptionIssues())?.rate;
  assert.deepEqual(rate('250.5'), { kind: 'fixed', tokensPerS: 250.5 });
  assert.deepEqual(rate('calibrated'), { kind: 'calibrated' });
  assert.deepEqual(rate('auto'), { kind: 'auto' });
  assert.deepEqual(rate('off'), { kind: 'off' });
});
