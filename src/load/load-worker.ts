import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { runLoad } from './run-load.js';
import type { ShardMessage, ShardReply } from './run-sharded.js';
import { shardSpec } from './run-sharded.js';

/** One shard of a sharded run, in its own worker thread: runs its share and posts the result back. */
const message = workerData as ShardMessage;
const controller = new AbortController();
parentPort?.on('message', (value) => {
  if (value === 'abort') controller.abort();
});
const result = await runLoad(shardSpec(message.spec, message.index, message.count), message.target, {
  signal: controller.signal,
  shard: { index: message.index, count: message.count, startAtEpochMs: message.startAtEpochMs },
  ...(message.requestTag ? { requestTag: message.requestTag } : {}),
});
const reply: ShardReply = { result, timeOrigin: performance.timeOrigin };
parentPort?.postMessage(reply);
