import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseLoadSpec } from '../../load/load-spec.js';
import { crossCheckEngine } from '../../metrics/engine-cross-check.js';
import type { RequestRecord } from '../../metrics/request-record.js';
import { summarizeRun } from '../../metrics/summarize-run.js';
import { summarizeStageFigures, summarizeStages } from '../../metrics/summarize-stages.js';
import { streamedRecord } from '../../testing/request-records.js';
import { openRecordSinks, sinkRecord } from './record-sinks.js';

const records = (stages: number): RequestRecord[] =>
  Array.from({ length: 240 }, (_, id) => {
    const sentAtMs = 100 + id * 7;
    return {
      ...streamedRecord({ id, sentAtMs, arrivalsAtMs: [sentAtMs + 20 + (id % 13), sentAtMs + 40 + (id % 5)] }),
      stage: id % stages,
      phase: id % 10 === 0 ? ('warmup' as const) : ('measure' as const),
      engine: { promptMs: 15, completionTokens: 2, promptTokens: 10 },
    };
  });

for (const [kind, spec, stages] of [
  ['one stage', { kind: 'constant-rate', rate: 10, requests: 240 }, 1],
  ['a sweep', { kind: 'sweep', of: 'constant-rate', levels: [5, 10, 20], requests: 80 }, 3],
] as const) {
  test(`the sinks of ${kind} give the figures of the records taken whole, each record counted once`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kitt-sinks-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const run = records(stages);
    const sinks = await openRecordSinks(
      dir,
      parseLoadSpec(spec),
      { slo: { ttftMs: 30 } },
      { epochMs: 0, monotonicMs: 0 },
    );
    for (const record of run) sinkRecord(sinks, record);
    await sinks.log.close();
    assert.deepEqual(sinks.accumulator.summarize(), summarizeRun(run, { slo: { ttftMs: 30 } }));
    const inputs = Array.from({ length: stages }, (_, stage) => ({
      stage,
      kind: 'constant-rate',
      unit: 'req/s' as const,
      offered: 10,
      window: null,
    }));
    assert.deepEqual(
      summarizeStageFigures(sinks.stages, inputs),
      summarizeStages(run, inputs, { slo: { ttftMs: 30 } }),
    );
    assert.deepEqual(sinks.crossCheck.result(), crossCheckEngine(run));
    assert.equal(readFileSync(join(dir, 'requests.jsonl'), 'utf8').trim().split('\n').length, run.length);
  });
}
