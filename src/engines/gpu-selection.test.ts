import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KittError } from '../core/errors.js';
import { containerCudaVisibleDevices, nativeCudaVisibleDevices, parseGpus, requiredGpuCount } from './gpu-selection.js';

test('--gpus parses all, none and sorted unique indices', () => {
  assert.equal(parseGpus('all'), 'all');
  assert.equal(parseGpus('none'), undefined);
  assert.deepEqual(parseGpus('2, 0,2'), [0, 2]);
});

test('--gpus rejects anything else with the accepted forms', () => {
  assert.throws(
    () => parseGpus('two'),
    (e: unknown) => e instanceof KittError && e.code === 'USAGE' && /--gpus 0,2/.test(e.hint ?? ''),
  );
});

test('inside a container the requested GPUs are renumbered from 0', () => {
  assert.equal(containerCudaVisibleDevices([2, 5]), '0,1');
  assert.equal(containerCudaVisibleDevices('all'), undefined);
  assert.equal(containerCudaVisibleDevices(undefined), undefined);
});

test('a host process sees the host indices', () => {
  assert.equal(nativeCudaVisibleDevices([2, 5]), '2,5');
});

test('index 3 needs four GPUs present', () => {
  assert.equal(requiredGpuCount([3]), 4);
  assert.equal(requiredGpuCount('all'), 1);
  assert.equal(requiredGpuCount(undefined), 0);
});
