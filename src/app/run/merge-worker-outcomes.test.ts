import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KittError } from '../../core/errors.js';
import {
  emptyHistograms,
  encodeHistograms,
  LATENCY_METRICS,
  recordRequest,
  summarizeHistograms,
} from '../../metrics/metric-histograms.js';
import { deriveRequestMetrics } from '../../metrics/request-metrics.js';
import { seededRandom } from '../../testing/exact-statistics.js';
import { streamedRecord } from '../../testing/request-records.js';
import { mergeWorkerOutcomes } from './merge-worker-outcomes.js';

/** A worker's Pod log: progress lines, then `kitt run --json`'s object as it prints it. */
function workerLog(histograms: ReturnType<typeof emptyHistograms>, requests: number): string {
  const outcome = {
    runId: 'w',
    status: 'succeeded',
    metrics: {
      requests: { total: requests, succeeded: requests, failed: 0, dropped: 0 },
      histograms: encodeHistograms(histograms),
    },
  };
  return `kitt: attaching http://kitt-a1b2c3-engine.bench.svc:8000\n${JSON.stringify(outcome, null, 2)}\n`;
}

test('percentiles of workers merged from their logs are identical to one client recording every request', () => {
  const random = seededRandom(11);
  const records = Array.from({ length: 2000 }, (_, id) => {
    const sent = id * 7;
    // heavy-tailed TTFT (1 ms to 10 s) so every bucket magnitude is crossed
    const ttft = 10 ** (random() * 4);
    const arrivals = Array.from(
      { length: 1 + Math.floor(random() * 30) },
      (_, k) => sent + ttft + k * (2 + random() * 40),
    );
    return streamedRecord({ id, sentAtMs: sent, arrivalsAtMs: arrivals, tokens: arrivals.map(() => 1) });
  });
  for (const workers of [1, 3, 8]) {
    const single = emptyHistograms();
    const shards = Array.from({ length: workers }, () => emptyHistograms());
    const counts = Array.from({ length: workers }, () => 0);
    for (const record of records) {
      const metrics = deriveRequestMetrics(record);
      recordRequest(single, metrics);
      // an uneven, random split: Pods never share a load evenly
      const worker = Math.floor(random() * workers);
      recordRequest(shards[worker]!, metrics);
      counts[worker]! += 1;
    }
    const merged = mergeWorkerOutcomes(shards.map((h, i) => workerLog(h, counts[i]!)));
    assert.equal(merged.workers, workers);
    assert.equal(merged.requests.succeeded, records.length);
    const expected = summarizeHistograms(single);
    for (const name of LATENCY_METRICS) {
      assert.deepEqual(merged.distributions[name], expected[name], `${name} with ${workers} workers`);
    }
  }
});

test('a worker whose log holds no outcome fails the merge naming the worker', () => {
  const good = workerLog(emptyHistograms(), 0);
  assert.throws(
    () => mergeWorkerOutcomes([good, 'error: engine not reachable\n']),
    (error: unknown) =>
      error instanceof KittError && error.code === 'LOAD_FAILED' && /load worker 1/.test(error.message),
  );
});
