import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import type { RequestRecord } from '../metrics/request-record.js';
import { runLoad } from './run-load.js';
import type { ShardMessage, ShardReply } from './run-sharded.js';
import { shardSpec } from './run-sharded.js';

/**
 * One shard of a sharded run, in its own worker thread: runs its share and streams its records to
 * the main thread in small batches as they complete (a batch per BATCH_RECORDS or BATCH_MS, so
 * neither thread holds the run), then posts its result.
 */
const BATCH_RECORDS = 256;
const BATCH_MS = 20;

const message = workerData as ShardMessage;
const { timeOrigin } = performance;
const post = (reply: ShardReply) => parentPort?.postMessage(reply);
const controller = new AbortController();
parentPort?.on('message', (value) => {
  if (value === 'abort') controller.abort();
});
let batch: RequestRecord[] = [];
let timer: NodeJS.Timeout | undefined;
const flush = () => {
  clearTimeout(timer);
  timer = undefined;
  if (batch.length === 0) return;
  post({ kind: 'records', timeOrigin, records: batch });
  batch = [];
};
const result = await runLoad(shardSpec(message.spec, message.index, message.count), message.target, {
  signal: controller.signal,
  shard: { index: message.index, count: message.count, startAtEpochMs: message.startAtEpochMs },
  ...(message.requestTag ? { requestTag: message.requestTag } : {}),
  onRecord: (record) => {
    batch.push(record);
    if (batch.length >= BATCH_RECORDS) flush();
    else timer ??= setTimeout(flush, BATCH_MS);
  },
  onMeasureStart: (stage, scheduledAtMs) => {
    // records before it stay before it: the main thread reads a later stage's record as "past this one"
    flush();
    post({ kind: 'measure-start', timeOrigin, stage, scheduledAtMs });
  },
});
flush();
post({ kind: 'result', timeOrigin, result });
