import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { DEFAULT_CONFIG } from '../../config/config-schema.js';
import { KittError } from '../../core/errors.js';
import { readCampaign } from './read-campaign.js';

function campaignFile(t: TestContext, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-campaign-file-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'campaign.yaml');
  writeFileSync(path, text);
  return path;
}

function problemsOf(read: () => unknown): string[] {
  try {
    read();
  } catch (error) {
    assert.ok(error instanceof KittError, String(error));
    assert.equal(error.code, 'USAGE');
    return ((error.details?.issues ?? []) as Array<{ problem: string }>).map((issue) => issue.problem);
  }
  assert.fail('the file was accepted');
}

const GRID = `
name: grid
matrix:
  engines:
    - { name: embedded, parallel: 1 }
    - { name: embedded, parallel: 2 }
  limits: [{ cpus: 1, memory: 2GiB }, {}]
  loads:
    - { load: constant-rate, rate: 2, duration: 30s }
    - { load: fixed-concurrency, concurrency: 4, requests: 64 }
  slos: ["ttft=500ms,tpot=50ms"]
`;

test('a campaign file plans its cross product, with limits named as calibration names them', (t) => {
  const plan = readCampaign(campaignFile(t, GRID), DEFAULT_CONFIG);
  assert.equal(plan.cells.length, 2 * 2 * 2);
  assert.deepEqual([...new Set(plan.cells.map((cell) => cell.labels.limits))], ['1cpu-2GiB', 'nolimit']);
  assert.equal(plan.cells[0]!.content.engine.mode, 'embedded', "the engine's default mode is filled in");
  assert.deepEqual(plan.cells[0]!.content.load, { load: 'constant-rate', rate: '2', duration: '30s' });
  // 30 s measured + the warmup of 4 requests at 2/s, + 5 s to start an embedded engine
  assert.equal(plan.cells[0]!.estimate.totalS, 37);
  assert.equal(
    plan.totalEstimateS,
    plan.cells.reduce((sum, cell) => sum + cell.estimate.totalS, 0),
  );
  assert.match(plan.id, /^grid-[0-9a-f]{8}$/);
});

test('every problem of a campaign file is reported at once, each with its path in the file', (t) => {
  const shape = problemsOf(() =>
    readCampaign(
      campaignFile(
        t,
        `
name: grid
matrix:
  engines: [{ name: embedded, parallel: 0 }]
  limits: [{ cpus: -1 }, { memory: lots }, { gpus: 1 }]
  loads: [{ load: constant-rate, rat: 2 }, { load: constant-rate, rate: fast, duration: 5s }]
  repeat: 3
constraints: { gpuTypes: [] }
`,
      ),
      DEFAULT_CONFIG,
    ),
  );
  assert.deepEqual(
    shape.map((problem) => problem.split(':')[0]),
    [
      'matrix.engines[0].parallel',
      'matrix.limits[0].cpus',
      'matrix.limits[1].memory',
      'matrix.limits[2].gpus',
      'matrix.loads[0].rat',
      'matrix.repeat',
      'constraints.gpuTypes',
      // the well-formed entries of a file with shape problems have their values checked in the same go
      'matrix.loads[1].rate',
    ],
  );
  // a bare number for GPUs is told the three shapes it may take, not zod's "Invalid input"
  assert.equal(
    shape.find((problem) => problem.startsWith('matrix.limits[2].gpus')),
    'matrix.limits[2].gpus: expected "all", GPU indices as a string ("0,2"), or a list of them ([0, 2]) (got 1)',
  );
  const values = problemsOf(() =>
    readCampaign(
      campaignFile(
        t,
        `
name: grid
matrix:
  engines: [{ name: embedded }, { name: lmdeploy }]
  limits: [{ gpus: "first" }]
  loads:
    - { load: constant-rate, duration: 10s }
    - { load: constant-rate, rate: fast, duration: 10s }
    - { load: fixed-concurrency, rate: 2, requests: 8 }
  slos: ["ttft=500ms", "speed=fast"]
`,
      ),
      DEFAULT_CONFIG,
    ),
  );
  assert.equal(values.length, 6, values.join('\n'));
  assert.match(values[0]!, /^matrix\.engines\[1\]: unknown engine "lmdeploy"/);
  assert.match(values[1]!, /^matrix\.limits\[0\]\.gpus: --gpus "first"/);
  assert.match(values[2]!, /^matrix\.loads\[0\]\.load: --load constant-rate needs a rate/);
  assert.match(values[3]!, /^matrix\.loads\[1\]\.rate: --rate must be a number above 0, got "fast"/);
  assert.match(values[4]!, /^matrix\.loads\[2\]\.rate: --rate applies to constant-rate, poisson/);
  assert.match(values[5]!, /^matrix\.slos\[1\] term "speed=fast"/);
});

test('two entries that make the same cell are a problem: one id would stand for two runs', (t) => {
  const problems = problemsOf(() =>
    readCampaign(
      campaignFile(
        t,
        `
name: grid
matrix:
  engines: [{ name: embedded }]
  loads: [{ load: constant-rate, rate: 2, duration: 5s }, { duration: 5s, rate: 2, load: constant-rate }]
`,
      ),
      DEFAULT_CONFIG,
    ),
  );
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /holds the cell .* twice/);
});

test("a campaign's fleet priority is a whole number, 0 when absent, and leaves the campaign's id as it is", (t) => {
  const plain = readCampaign(campaignFile(t, GRID), DEFAULT_CONFIG);
  assert.equal(plain.priority, 0);
  const urgent = readCampaign(campaignFile(t, `priority: 10\n${GRID}`), DEFAULT_CONFIG);
  assert.equal(urgent.priority, 10);
  assert.equal(urgent.id, plain.id, 'the same cells are the same campaign');
  for (const bad of ['high', '2.5', '5000']) {
    const problems = problemsOf(() => readCampaign(campaignFile(t, `priority: ${bad}\n${GRID}`), DEFAULT_CONFIG));
    assert.equal(problems.length, 1, problems.join('; '));
    assert.match(problems[0]!, /^priority: .*a whole number from -1000 to 1000 \(higher runs first on the fleet\)/);
  }
});

test('a value of neither shape a key allows is told both shapes', (t) => {
  const problems = problemsOf(() =>
    readCampaign(
      campaignFile(
        t,
        'name: grid\nmatrix:\n  engines: [{ name: embedded }]\n  loads: [{ load: sweep, levels: true }]\n',
      ),
      DEFAULT_CONFIG,
    ),
  );
  assert.deepEqual(problems, ['matrix.loads[0].levels: expected a string or a list (got true)']);
});
