import { basename } from 'node:path';
import { withDefaults } from './engine-args.js';
import type { DetectedModel, EngineDefinition, LaunchContext } from './engine-definition.js';

/** Upstream OpenAI server image (amd64), pinned. Its entrypoint starts the API server itself. */
export const VLLM_IMAGE = 'vllm/vllm-openai:v0.10.1.1';
/**
 * NVIDIA's NGC build: multi-arch (arm64 Grace hosts) and built for Blackwell (compute capability
 * 10+). Its entrypoint is a shell, so kitt sets `vllm serve` itself.
 */
export const VLLM_NGC_IMAGE = 'nvcr.io/nvidia/vllm:25.09-py3';
/** Shared memory for NCCL between tensor-parallel workers (Docker's 64 MiB default is too small). */
const SHM_BYTES = 8 * 1024 ** 3;

function servedName(model: DetectedModel): string {
  return basename(model.servePath);
}

function serverArgs({ request, bindAddress, modelPath, port, model }: LaunchContext): string[] {
  return withDefaults(
    [
      [['--model'], ['--model', modelPath]],
      [['--served-model-name'], ['--served-model-name', servedName(model)]],
      [['--host'], ['--host', bindAddress]],
      [['--port'], ['--port', String(port)]],
      [['--max-num-seqs'], request.parallel ? ['--max-num-seqs', String(request.parallel)] : []],
    ],
    request.engineArgs,
  );
}

export const vllmEngine: EngineDefinition = {
  name: 'vllm',
  title: 'vLLM',
  defaultPort: 8000,
  api: 'openai',
  loadApi: 'openai-completions',
  // first start downloads nothing (local model) but compiles CUDA graphs: minutes, not seconds
  readiness: { httpPath: '/health', timeoutMs: 900_000 },
  formats: ['safetensors', 'pytorch'],
  modelKind: 'directory',
  modes: ['docker', 'native'],
  requiresGpu: true,
  supports: {
    ignoreEos: true,
    tokenizePath: '/tokenize',
    metricsPath: '/metrics',
    usageInStream: true,
    report: 'none',
  },
  metrics: {
    promptTokens: ['vllm:prompt_tokens_total'],
    generatedTokens: ['vllm:generation_tokens_total'],
    queueGauge: 'vllm:num_requests_waiting',
    busyGauges: ['vllm:num_requests_running', 'vllm:num_requests_waiting'],
  },
  images: [
    { image: VLLM_NGC_IMAGE, minComputeCapability: 10, entrypoint: ['vllm', 'serve'] },
    { image: VLLM_NGC_IMAGE, arch: 'arm64', entrypoint: ['vllm', 'serve'] },
    { image: VLLM_IMAGE, arch: 'amd64' },
  ],
  nativeExecutable: 'vllm',
  servedModelName: servedName,
  containerPlan: (launch) => ({ cmd: serverArgs(launch), shmSizeBytes: SHM_BYTES }),
  hostCommand: (launch) => ({ command: 'vllm', args: ['serve', ...serverArgs(launch)], env: launch.env }),
};
