import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unmetConstraints } from './check-constraints.js';

const HOST = { hostname: 'gpu-01', gpuNames: ['NVIDIA H100 80GB HBM3'] };

test('a host meets constraints by its name and by a GPU whose name holds one of the types', () => {
  assert.deepEqual(unmetConstraints({}, HOST), []);
  assert.deepEqual(unmetConstraints({ hosts: ['gpu-01', 'gpu-02'], gpuTypes: ['a100', 'h100'] }, HOST), []);
  const unmet = unmetConstraints({ hosts: ['gpu-02'], gpuTypes: ['A100'] }, { hostname: 'gpu-01', gpuNames: [] });
  assert.equal(unmet.length, 2);
  assert.match(unmet[0]!, /gpu-01, is not one of constraints\.hosts \(gpu-02\)/);
  assert.match(unmet[1]!, /has no GPU, none of constraints\.gpuTypes \(A100\)/);
});
