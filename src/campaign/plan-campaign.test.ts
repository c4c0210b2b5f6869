import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LoadSpec } from '../load/load-spec.js';
import { type CampaignIngredients, planCampaign } from './plan-campaign.js';

const spec = (durationS: number): LoadSpec =>
  ({
    kind: 'constant-rate',
    rate: 2,
    durationS,
    timeoutS: 300,
    workers: 1,
    drainS: 60,
    overflow: 'queue',
    spinMs: 1,
  }) as LoadSpec;

const INGREDIENTS: CampaignIngredients = {
  name: 'grid',
  models: ['', '/models/a.gguf'],
  engines: [
    { name: 'embedded', mode: 'embedded', parallel: 1 },
    { name: 'llamacpp', mode: 'docker', args: ['--flash-attn'] },
  ],
  limits: [
    { key: '1cpu-2GiB', profile: { cpus: 1, memory: '2GiB' } },
    { key: 'nolimit', profile: {} },
  ],
  loads: [
    { flags: { load: 'constant-rate', rate: '2', duration: '10s' }, spec: spec(10) },
    { flags: { load: 'constant-rate', rate: '4', duration: '20s' }, spec: spec(20) },
  ],
  repeats: 2,
  slos: ['ttft=500ms'],
  constraints: {},
};

test('the plan is the cross product, the last dimension turning fastest', () => {
  const plan = planCampaign(INGREDIENTS);
  assert.equal(plan.cells.length, 2 * 2 * 2 * 2 * 2);
  assert.deepEqual(
    plan.cells.slice(0, 3).map((cell) => [cell.content.load.rate, cell.content.repeat]),
    [
      ['2', 1],
      ['2', 2],
      ['4', 1],
    ],
  );
  assert.equal(new Set(plan.cells.map((cell) => cell.id)).size, plan.cells.length, 'every cell has its own id');
  assert.deepEqual(
    plan.cells.map((cell) => cell.position),
    plan.cells.map((_, index) => index),
  );
});

test('cell ids and the campaign id stay the same when the file is reordered', () => {
  const plan = planCampaign(INGREDIENTS);
  const reordered = planCampaign({
    ...INGREDIENTS,
    models: [...INGREDIENTS.models].reverse(),
    engines: [...INGREDIENTS.engines].reverse(),
    limits: [...INGREDIENTS.limits].reverse(),
    // the same load with its fields in another order
    loads: [{ flags: { duration: '20s', rate: '4', load: 'constant-rate' }, spec: spec(20) }, INGREDIENTS.loads[0]!],
  });
  assert.deepEqual(new Set(reordered.cells.map((cell) => cell.id)), new Set(plan.cells.map((cell) => cell.id)));
  assert.notDeepEqual(
    reordered.cells.map((cell) => cell.id),
    plan.cells.map((cell) => cell.id),
  );
  assert.equal(reordered.id, plan.id);
  assert.equal(reordered.contentHash, plan.contentHash);
});

test('a changed cell changes its id and the campaign id, the others keep theirs', () => {
  const plan = planCampaign(INGREDIENTS);
  const changed = planCampaign({
    ...INGREDIENTS,
    engines: [INGREDIENTS.engines[0]!, { name: 'llamacpp', mode: 'docker', args: ['--no-flash-attn'] }],
  });
  const before = new Set(plan.cells.map((cell) => cell.id));
  const kept = changed.cells.filter((cell) => before.has(cell.id));
  assert.equal(kept.length, plan.cells.length / 2);
  assert.notEqual(changed.id, plan.id);
});

test('a cell is estimated at its load duration plus the start of its engine mode', () => {
  const plan = planCampaign(INGREDIENTS);
  const embedded = plan.cells.find((cell) => cell.content.engine.mode === 'embedded' && cell.content.load.rate === '2');
  const docker = plan.cells.find((cell) => cell.content.engine.mode === 'docker' && cell.content.load.rate === '4');
  assert.deepEqual(embedded?.estimate, { loadS: 10, startS: 5, totalS: 15, loadGuessed: false });
  assert.deepEqual(docker?.estimate, { loadS: 20, startS: 30, totalS: 50, loadGuessed: false });
  // 8 cells of each (engine, load) pair
  assert.equal(plan.totalEstimateS, 8 * (15 + 25 + 40 + 50));
});
