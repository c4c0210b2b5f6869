import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { planCampaign } from '../../campaign/plan-campaign.js';
import { interruptionBy, KittError } from '../../core/errors.js';
import type { LoadSpec } from '../../load/load-spec.js';
import { openStore } from '../../store/open-store.js';
import type { Store } from '../../store/store-types.js';
import { RecordingProgress } from '../../testing/recording-progress.js';
import type { CellRunner, CellRunResult } from './cell-runner.js';
import { runCampaign } from './run-campaign.js';

const spec = { kind: 'fixed-concurrency', concurrency: 1, requests: 2 } as unknown as LoadSpec;

const PLAN = planCampaign({
  name: 'grid',
  models: [''],
  engines: [
    { name: 'embedded', mode: 'embedded', parallel: 1 },
    { name: 'embedded', mode: 'embedded', parallel: 2 },
  ],
  limits: [{ key: 'nolimit', profile: {} }],
  loads: [
    { flags: { load: 'fixed-concurrency', requests: '2' }, spec },
    { flags: { load: 'fixed-concurrency', requests: '3' }, spec },
  ],
  repeats: 1,
  slos: [],
  constraints: {},
});

async function tempStore(t: TestContext): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-campaign-run-'));
  const store = await openStore(join(dir, 'kitt.db'));
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

/** A cell runner that ends each cell as `outcomes` says (succeeded by default) and remembers what it ran. */
function scriptedRunner(outcomes: Record<number, CellRunResult['status']>, interrupt: AbortController) {
  const ran: string[] = [];
  let n = 0;
  const runner: CellRunner = {
    async runCell(request, hooks) {
      const runId = `run-${++n}`;
      await hooks.started(runId);
      ran.push(request.cell.id);
      const status = outcomes[ran.length] ?? 'succeeded';
      if (status === 'interrupted') interrupt.abort(interruptionBy('SIGINT'));
      const error =
        status === 'succeeded'
          ? undefined
          : status === 'interrupted'
            ? interruptionBy('SIGINT')
            : new KittError('ENGINE_FAILED', 'the engine exited');
      return { runId, status, ...(error ? { error } : {}) };
    },
  };
  return { runner, ran };
}

const ports = (store: Store, cellRunner: CellRunner) => ({
  store,
  cellRunner,
  host: async () => ({ hostname: 'here', gpuNames: [] }),
});

test('a campaign interrupted in its second cell reruns that cell and the rest, never the first', async (t) => {
  const store = await tempStore(t);
  const first = new AbortController();
  const stopped = scriptedRunner({ 2: 'interrupted' }, first);
  const outcome = await runCampaign(
    PLAN,
    ports(store, stopped.runner),
    { progress: new RecordingProgress(), signal: first.signal },
    { home: '/kitt' },
  );
  assert.equal(outcome.interruption?.code, 'INTERRUPTED');
  assert.deepEqual(
    stopped.ran,
    PLAN.cells.slice(0, 2).map((cell) => cell.id),
  );
  assert.deepEqual(
    outcome.cells.map((cell) => cell.state),
    ['succeeded', 'interrupted', 'pending', 'pending'],
  );
  const again = scriptedRunner({ 1: 'failed' }, new AbortController());
  const rerun = await runCampaign(
    PLAN,
    ports(store, again.runner),
    { progress: new RecordingProgress(), signal: new AbortController().signal },
    { home: '/kitt' },
  );
  assert.deepEqual(
    again.ran,
    PLAN.cells.slice(1).map((cell) => cell.id),
    'the succeeded cell is skipped',
  );
  assert.deepEqual(rerun.skipped, [PLAN.cells[0]!.id]);
  assert.deepEqual(
    rerun.cells.map((cell) => [cell.state, cell.runIds]),
    [
      ['succeeded', ['run-1']],
      ['failed', ['run-2', 'run-1']],
      ['succeeded', ['run-2']],
      ['succeeded', ['run-3']],
    ],
    'a failed cell does not stop the campaign; every attempt keeps its run id',
  );
  assert.equal(rerun.cells[1]!.error, 'the engine exited');
  const third = scriptedRunner({}, new AbortController());
  await runCampaign(
    PLAN,
    ports(store, third.runner),
    { progress: new RecordingProgress(), signal: new AbortController().signal },
    { home: '/kitt' },
  );
  assert.deepEqual(third.ran, [PLAN.cells[1]!.id], 'only the failed cell runs the third time');
});

test('a campaign whose cell is the run of a live kitt is refused, not run twice', async (t) => {
  const store = await tempStore(t);
  const runner: CellRunner = {
    async runCell(request, hooks) {
      await hooks.started(`live-${request.cell.id}`);
      await store.recordRunStarted({ id: `live-${request.cell.id}`, engine: 'embedded', mode: 'embedded', model: 'm' });
      throw new Error('the process died here');
    },
  };
  await assert.rejects(
    runCampaign(
      PLAN,
      ports(store, runner),
      { progress: new RecordingProgress(), signal: new AbortController().signal },
      { home: '/kitt' },
    ),
    /the process died here/,
  );
  await assert.rejects(
    runCampaign(
      PLAN,
      ports(store, runner),
      { progress: new RecordingProgress(), signal: new AbortController().signal },
      { home: '/kitt' },
    ),
    (error: unknown) => error instanceof KittError && /is running already/.test(error.message),
  );
});

test('a campaign whose constraints this host does not meet starts nothing', async (t) => {
  const store = await tempStore(t);
  const idle = scriptedRunner({}, new AbortController());
  const constrained = { ...PLAN, constraints: { gpuTypes: ['H100'] } };
  await assert.rejects(
    runCampaign(
      constrained,
      ports(store, idle.runner),
      { progress: new RecordingProgress(), signal: new AbortController().signal },
      { home: '/kitt' },
    ),
    /cannot run here: this host has no GPU, none of constraints\.gpuTypes \(H100\)/,
  );
  assert.deepEqual(idle.ran, []);
  assert.deepEqual(await store.listCampaigns(), []);
});
