import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judgePod } from './pod-verdict.js';

const pod = (status: object) => ({ metadata: { name: 'kitt-a1b2c3-engine' }, status });
const condition = (type: string, status: string, extra: object = {}) => ({ type, status, ...extra });

test('a Pod no node can hold for want of GPUs is GPU_UNAVAILABLE, with the scheduler words', () => {
  const message =
    '0/4 nodes are available: 4 Insufficient nvidia.com/gpu. preemption: 0/4 nodes are available: 4 No preemption victims found for incoming pod.';
  const verdict = judgePod(
    pod({ phase: 'Pending', conditions: [condition('PodScheduled', 'False', { reason: 'Unschedulable', message })] }),
  );
  assert.equal(verdict.state, 'failed');
  assert.equal(verdict.state === 'failed' && verdict.error.code, 'GPU_UNAVAILABLE');
  assert.equal(verdict.state === 'failed' && verdict.error.message, `no node can run kitt-a1b2c3-engine: ${message}`);
});

test('an engine that exits before Ready says its exit code; one still loading is pending with its state', () => {
  const exited = judgePod(
    pod({
      phase: 'Failed',
      containerStatuses: [{ name: 'engine', state: { terminated: { exitCode: 1, reason: 'Error' } } }],
    }),
  );
  assert.equal(exited.state === 'failed' && exited.error.message, 'kitt-a1b2c3-engine exited with code 1 (Error)');
  const loading = judgePod(
    pod({
      phase: 'Running',
      conditions: [condition('Ready', 'False')],
      containerStatuses: [{ name: 'engine', state: { running: {} } }],
    }),
  );
  assert.deepEqual(loading, { state: 'pending', detail: 'Running' });
  const creating = judgePod(
    pod({
      phase: 'Pending',
      containerStatuses: [{ name: 'engine', state: { waiting: { reason: 'ContainerCreating' } } }],
    }),
  );
  assert.deepEqual(creating, { state: 'pending', detail: 'ContainerCreating' });
});
