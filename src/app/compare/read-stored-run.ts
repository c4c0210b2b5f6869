import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { KittError } from '../../core/errors.js';
import type { RequestRecord } from '../../metrics/request-record.js';
import type { RunFacts } from '../../metrics/run-comparability.js';
import { parseRecordLine } from '../../metrics/serialize-record.js';
import type { RunMetrics } from '../../metrics/summarize-run.js';
import type { StoredRun } from '../../store/store-types.js';

const usage = (message: string, hint: string) => new KittError('USAGE', message, { hint });

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** A run's per-request records from requests.jsonl in its result directory; a missing or torn file is one usage line. */
export async function readStoredRecords(run: StoredRun): Promise<RequestRecord[]> {
  const path = run.resultPath ? join(run.resultPath, 'requests.jsonl') : undefined;
  if (!path || !(await exists(path))) {
    throw usage(
      `run ${run.id} has no requests.jsonl${path ? ` at ${path}` : ''}`,
      'compare needs the per-request records of each run; results written by kitt run keep them',
    );
  }
  const records: RequestRecord[] = [];
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  let number = 0;
  for await (const line of lines) {
    number++;
    if (line.trim() === '') continue;
    try {
      records.push(parseRecordLine(line));
    } catch (error) {
      throw usage(
        `${path}:${number} is not a request record: ${(error as Error).message}`,
        'restore the file kitt wrote',
      );
    }
  }
  return records;
}

const objectAt = (value: unknown, key: string): Record<string, unknown> | undefined => {
  const inner = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return inner !== null && typeof inner === 'object' ? (inner as Record<string, unknown>) : undefined;
};
const numberAt = (value: Record<string, unknown> | undefined, key: string): number | null =>
  typeof value?.[key] === 'number' ? (value[key] as number) : null;

/** What decides comparability, from the stored run and the document written beside its metrics. */
export function factsOf(run: StoredRun): RunFacts {
  const load = objectAt(run.metrics, 'load');
  const { prompts, ...loadShape } = load ?? {};
  // the salt is drawn anew for every run to defeat prefix caches (every repeat has its own): not a difference
  const { salt: _salt, ...promptShape } = (prompts ?? {}) as Record<string, unknown>;
  const image = objectAt(objectAt(run.config, 'engines'), run.engine)?.image;
  return {
    id: run.id,
    model: run.model,
    modelSha256: run.modelSha256,
    engine: run.engine,
    mode: run.mode,
    engineImage: typeof image === 'string' ? image : undefined,
    hardwareFingerprint: run.hardwareFingerprint,
    limits: run.limits ?? undefined,
    loadShape: load ? loadShape : undefined,
    prompts: load && prompts !== undefined ? promptShape : undefined,
  };
}

/** The run's summary as the run use case stored it (metrics.json's `metrics`); undefined before it finished. */
export function storedRunMetrics(run: StoredRun): RunMetrics | undefined {
  const metrics = objectAt(run.metrics, 'metrics');
  return metrics && objectAt(metrics, 'throughput') ? (metrics as unknown as RunMetrics) : undefined;
}

/** The run-level rates compare shows beside the latencies: output tokens/s, and goodput when the run had an SLO. */
export function storedRates(run: StoredRun): { throughput: number | null; goodput: number | null } {
  const metrics = objectAt(run.metrics, 'metrics');
  return {
    throughput: numberAt(objectAt(metrics, 'throughput'), 'outputTokensPerS'),
    goodput: numberAt(objectAt(metrics, 'slo'), 'goodputRequestsPerS'),
  };
}
