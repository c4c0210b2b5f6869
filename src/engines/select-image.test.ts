import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ENGINE_CATALOG } from './catalog.js';
import { LLAMACPP_CPU_IMAGE, LLAMACPP_CUDA_IMAGE } from './llamacpp.js';
import { hostArch, selectImage } from './select-image.js';
import { VLLM_IMAGE, VLLM_NGC_IMAGE } from './vllm.js';

const vllm = ENGINE_CATALOG.vllm.images;
const llamacpp = ENGINE_CATALOG.llamacpp.images;

test('node arch names map to Docker platform names', () => {
  assert.equal(hostArch('x64'), 'amd64');
  assert.equal(hostArch('arm64'), 'arm64');
});

test('llama.cpp without a GPU gets the locally built CPU image and its build script', () => {
  assert.deepEqual(selectImage(llamacpp, { arch: 'amd64' }, { wantsGpu: false }), {
    image: LLAMACPP_CPU_IMAGE,
    source: 'catalog',
    buildScript: 'scripts/build-llamacpp-image.sh',
  });
});

test('llama.cpp with a GPU on amd64 gets the pinned CUDA image', () => {
  const selected = selectImage(llamacpp, { arch: 'amd64', gpuComputeCapability: 8.9 }, { wantsGpu: true });
  assert.equal(selected?.image, LLAMACPP_CUDA_IMAGE);
  assert.doesNotMatch(LLAMACPP_CUDA_IMAGE, /:latest$|:server-cuda$/);
});

test('vLLM picks NGC on Blackwell (cc >= 10) and on arm64, upstream elsewhere', () => {
  const blackwell = selectImage(vllm, { arch: 'amd64', gpuComputeCapability: 12.0 }, { wantsGpu: true });
  assert.deepEqual([blackwell?.image, blackwell?.entrypoint], [VLLM_NGC_IMAGE, ['vllm', 'serve']]);
  assert.equal(
    selectImage(vllm, { arch: 'arm64', gpuComputeCapability: 9.0 }, { wantsGpu: true })?.image,
    VLLM_NGC_IMAGE,
  );
  assert.equal(selectImage(vllm, { arch: 'amd64', gpuComputeCapability: 8.0 }, { wantsGpu: true })?.image, VLLM_IMAGE);
});

test('an override wins and keeps what the catalog knows about that image', () => {
  assert.deepEqual(selectImage(vllm, { arch: 'amd64' }, { wantsGpu: true, override: 'my/vllm@sha256:abc' }), {
    image: 'my/vllm@sha256:abc',
    source: 'override',
  });
  assert.deepEqual(selectImage(vllm, { arch: 'amd64' }, { wantsGpu: true, override: VLLM_NGC_IMAGE })?.entrypoint, [
    'vllm',
    'serve',
  ]);
});

test('an engine with no image for the host selects nothing', () => {
  assert.equal(selectImage(ENGINE_CATALOG.exllamav2.images, { arch: 'arm64' }, { wantsGpu: true }), undefined);
});
