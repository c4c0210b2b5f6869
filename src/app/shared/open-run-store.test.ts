import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { currentOwner, formatOwner } from '../../runtime/owner.js';
import { openRunStore } from './open-run-store.js';

test('opening the store marks a run whose kitt is gone abandoned, at its last flush, and leaves live ones running', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-abandoned-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const url = join(dir, 'kitt.db');
  const resultDir = join(dir, 'results', 'dead');
  mkdirSync(resultDir, { recursive: true });
  writeFileSync(join(resultDir, 'requests.jsonl'), '{"id":0}\n');
  const lastFlush = new Date('2026-03-04T05:06:07.000Z');
  utimesSync(join(resultDir, 'requests.jsonl'), lastFlush, lastFlush);
  const here = currentOwner();
  // the same pid with another start time: the kernel handed our pid's number to a new process
  const dead = formatOwner({ ...here, startTime: '1' });
  {
    await using store = await openRunStore(url);
    await store.recordRunStarted({
      id: 'dead',
      engine: 'embedded',
      mode: 'embedded',
      model: 'm',
      owner: dead,
      resultPath: resultDir,
    });
    await store.recordRunStarted({
      id: 'live',
      engine: 'embedded',
      mode: 'embedded',
      model: 'm',
      owner: formatOwner(here),
    });
    await store.recordRunStarted({ id: 'old', engine: 'embedded', mode: 'embedded', model: 'm' });
  }
  await using store = await openRunStore(url);
  const abandoned = await store.getRun('dead');
  assert.equal(abandoned?.status, 'abandoned');
  assert.equal(abandoned?.finishedAt, lastFlush.toISOString());
  assert.match(abandoned?.error ?? '', new RegExp(`pid ${here.pid}.*records up to then are in ${resultDir}`));
  assert.equal((await store.getRun('live'))?.status, 'running', 'a run whose owner lives is left alone');
  assert.equal((await store.getRun('old'))?.status, 'running', 'a row with no owner cannot be judged');
});
