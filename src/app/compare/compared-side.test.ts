import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../store/open-store.js';
import { tempHome } from '../../testing/kitt-cli.js';
import { resolveComparedSides } from './compared-side.js';

/** A store holding series G1 (repeats 1 and 2 succeeded, 3 interrupted), series G2 and one plain run. */
async function storeWithSeries(t: Parameters<typeof tempHome>[0]) {
  const store = await openStore(join(tempHome(t), 'kitt.db'));
  t.after(() => store.close());
  const add = async (id: string, repeat?: { group: string; index: number; of: number }, status = 'succeeded') => {
    await store.recordRunStarted({
      id,
      engine: 'exact',
      mode: 'host',
      model: 'm',
      ...(repeat ? { config: { repeat } } : {}),
    });
    await store.recordRunFinished(id, { status: status as 'succeeded' | 'interrupted' });
  };
  // a series id and its first run's id share a prefix, as kitt run --repeat draws them
  await add('20261201T100000100Z-aaaaaa', { group: '20261201T100000000Z-111111', index: 2, of: 3 });
  await add('20261201T100000050Z-bbbbbb', { group: '20261201T100000000Z-111111', index: 1, of: 3 });
  await add('20261201T100000200Z-cccccc', { group: '20261201T100000000Z-111111', index: 3, of: 3 }, 'interrupted');
  await add('20261201T110000100Z-dddddd', { group: '20261201T110000000Z-222222', index: 1, of: 2 });
  await add('20261201T110000200Z-eeeeee', { group: '20261201T110000000Z-222222', index: 2, of: 2 });
  await add('20261201T120000000Z-ffffff');
  return store;
}

test('a series id, or a prefix matching one series and only its runs, names the series in repeat order', async (t) => {
  const store = await storeWithSeries(t);
  const [exact, prefix] = await resolveComparedSides(store, ['20261201T100000000Z-111111', '20261201T1000']);
  for (const side of [exact, prefix]) {
    assert.equal(side?.kind, 'series');
    if (side?.kind !== 'series') continue;
    assert.equal(side.id, '20261201T100000000Z-111111');
    assert.deepEqual(
      side.runs.map((r) => r.id.slice(-6)),
      ['bbbbbb', 'aaaaaa', 'cccccc'],
    );
    assert.deepEqual(
      side.completed.map((r) => r.id.slice(-6)),
      ['bbbbbb', 'aaaaaa'],
      'the interrupted repeat is left out',
    );
  }
});

test('a run id is the run alone, with its series mark; --series makes it stand for its series', async (t) => {
  const store = await storeWithSeries(t);
  const [run, plain] = await resolveComparedSides(store, ['20261201T110000200Z', '20261201T12']);
  assert.equal(run?.kind, 'run');
  assert.deepEqual(run?.kind === 'run' && run.mark, { group: '20261201T110000000Z-222222', index: 2, of: 2 });
  assert.deepEqual(plain?.kind === 'run' && [plain.id, plain.mark], ['20261201T120000000Z-ffffff', undefined]);
  const [series, still] = await resolveComparedSides(store, ['20261201T110000200Z', '20261201T12'], { series: true });
  assert.deepEqual([series?.kind, series?.id], ['series', '20261201T110000000Z-222222']);
  assert.equal(still?.kind, 'run', 'a run of no series stays a run');
});

test('a prefix of two series, or of a series and another run, is ambiguous; an unknown name points at results list', async (t) => {
  const store = await storeWithSeries(t);
  await assert.rejects(resolveComparedSides(store, ['20261201T1']), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'USAGE');
    assert.match(error.message, /^20261201T1 is ambiguous: series 20261201T1/);
    assert.match(error.message, /series 20261201T100000000Z-111111/);
    assert.match(error.message, /series 20261201T110000000Z-222222/);
    assert.match(error.message, /and 3 more$/, 'five named, the rest counted');
    return true;
  });
  await assert.rejects(resolveComparedSides(store, ['nope']), /no run nope in .*kitt\.db/);
});
