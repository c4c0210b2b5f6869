import { join } from 'node:path';
import { newRunId } from '../core/ids.js';
import { writeResultDir } from '../export/result-dir.js';
import { parseLoadSpec } from '../load/load-spec.js';
import { runLoad } from '../load/run-load.js';
import { summarizeRun } from '../metrics/summarize-run.js';
import { defaultStorePath, openStore } from '../store/open-store.js';
import { startExactScheduleServer } from './exact-schedule-server.js';

/** The load of a recorded exact-schedule run: 48 requests of 32 tokens, 4 at a time. */
export const EXACT_RUN_SPEC = parseLoadSpec({
  kind: 'fixed-concurrency',
  // few streams at once: on a busy host many parallel streams bunch their chunks and skew ITL
  concurrency: 4,
  requests: 48,
  warmup: { requests: 4 },
  prompts: { kind: 'synthetic', inputTokens: 16, outputTokens: 32 },
});

/**
 * Runs the load against an exact-schedule server with this ITL and records the run as kitt run
 * does: requests.jsonl and metrics.json in a result directory, the run in the store.
 */
export async function recordExactScheduleRun(home: string, itlMs: number, model = 'exact.gguf'): Promise<string> {
  const server = await startExactScheduleServer({ ttftMs: 20, itlMs });
  try {
    const load = await runLoad(
      EXACT_RUN_SPEC,
      {
        baseUrl: server.url,
        api: 'openai-chat',
        model: 'm',
        supports: { ignoreEos: true, tokenize: true, usage: 'final' },
      },
      { keepRecords: true },
    );
    const records = load.records ?? [];
    const id = newRunId();
    const resultDir = join(home, 'results', id);
    const metrics = summarizeRun(records, load.window ? { window: load.window } : {});
    await writeResultDir(resultDir, {
      metrics: { runId: id, metrics, load: EXACT_RUN_SPEC, limits: { cpus: 1 } },
      records,
      summaryMarkdown: '',
    });
    await using store = await openStore(defaultStorePath(home));
    await store.recordRunStarted({
      id,
      engine: 'exact',
      mode: 'host',
      model,
      limits: { cpus: 1 },
      resultPath: resultDir,
    });
    await store.recordRunFinished(id, {
      status: 'succeeded',
      metrics: { runId: id, metrics, load: EXACT_RUN_SPEC, limits: { cpus: 1 } },
      resultPath: resultDir,
    });
    return id;
  } finally {
    await server.close();
  }
}
