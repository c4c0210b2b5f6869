import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../store/open-store.js';
import { earlierEstimatesIn } from './calibrate-ports.js';

test('earlier estimates come from stored calibrations of the same engine, limits and model, newest first', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-earlier-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'kitt.db');
  {
    await using store = await openStore(path);
    const save = (limitsKey: string, model: string, estimate: unknown, day: number) =>
      store.recordCalibration({
        engine: 'llamacpp',
        limitsKey,
        rateValue: 1,
        unit: 'requests/s',
        report: { model, estimate },
        createdAt: new Date(Date.UTC(2026, 11, day)),
      });
    await save('1cpu-2GiB', 'a.gguf', { status: 'estimated', rate: 7.1 }, 1);
    await save('1cpu-2GiB', 'a.gguf', { status: 'estimated', rate: 7.4 }, 2);
    await save('1cpu-2GiB', 'b.gguf', { status: 'estimated', rate: 3.0 }, 3);
    await save('2cpu-2GiB', 'a.gguf', { status: 'estimated', rate: 14.0 }, 4);
    await save('1cpu-2GiB', 'a.gguf', { status: 'unavailable', reason: 'too few windows' }, 5);
  }
  assert.deepEqual(await earlierEstimatesIn(path, 'llamacpp', '1cpu-2GiB', 'a.gguf'), [7.4, 7.1]);
  assert.deepEqual(await earlierEstimatesIn(path, 'vllm', '1cpu-2GiB', 'a.gguf'), []);
});
