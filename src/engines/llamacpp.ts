import { withDefaults } from './engine-args.js';
import type { DetectedModel, EngineDefinition, LaunchContext } from './engine-definition.js';

/** The CPU image kitt builds from the llama.cpp source shipped inside node-llama-cpp. */
export const LLAMACPP_CPU_IMAGE = 'kitt/llama-server:cpu';
/** Upstream CUDA server image, pinned to a release build (never `latest`). */
export const LLAMACPP_CUDA_IMAGE = 'ghcr.io/ggml-org/llama.cpp:server-cuda-b6550';
/** Context per parallel slot unless --engine-arg sets --ctx-size. */
const CONTEXT_PER_SLOT = 4096;

function servedName(model: DetectedModel): string {
  return (model.servePath.split('/').at(-1) ?? 'model').replace(/\.gguf$/i, '');
}

/**
 * llama-server flags shared by container and native mode. The server binds 127.0.0.1 only: with
 * host networking that is the host's loopback, where kitt's load clients are.
 */
function serverArgs({ request, bindAddress, modelPath, port, model }: LaunchContext): string[] {
  const parallel = request.parallel ?? 1;
  return withDefaults(
    [
      [
        ['-m', '--model'],
        ['--model', modelPath],
      ],
      [
        ['--alias', '-a'],
        ['--alias', servedName(model)],
      ],
      [['--host'], ['--host', bindAddress]],
      [['--port'], ['--port', String(port)]],
      [
        ['--parallel', '-np'],
        ['--parallel', String(parallel)],
      ],
      [
        ['--ctx-size', '-c'],
        ['--ctx-size', String(CONTEXT_PER_SLOT * parallel)],
      ],
      [['--threads', '-t'], request.threads ? ['--threads', String(request.threads)] : []],
      [['--n-gpu-layers', '-ngl', '--gpu-layers'], request.limits.gpus ? ['--n-gpu-layers', '999'] : []],
      [['--metrics'], ['--metrics']],
    ],
    request.engineArgs,
  );
}

/**
 * What llama-server offers on its API and /metrics. kitt's embedded server speaks the same API and
 * exports the same series, so both definitions take it from here.
 */
export const LLAMA_SERVER_API = {
  supports: {
    ignoreEos: true,
    tokenizePath: '/tokenize',
    metricsPath: '/metrics',
    usageInStream: true,
    report: 'timings',
  },
  metrics: {
    promptTokens: ['llamacpp:prompt_tokens_total'],
    cachedPromptTokens: ['llamacpp:prompt_tokens_cached_total'],
    generatedTokens: ['llamacpp:tokens_predicted_total'],
    queueGauge: 'llamacpp:requests_deferred',
    busyGauges: ['llamacpp:requests_processing', 'llamacpp:requests_deferred'],
  },
} as const satisfies Pick<EngineDefinition, 'supports' | 'metrics'>;

export const llamacppEngine: EngineDefinition = {
  name: 'llamacpp',
  title: 'llama.cpp server',
  aliases: ['llama.cpp', 'llama-server', 'llamacpp-server'],
  defaultPort: 8081,
  api: 'openai',
  loadApi: 'openai-completions',
  readiness: { httpPath: '/health', timeoutMs: 120_000 },
  formats: ['gguf'],
  modelKind: 'file',
  modes: ['docker', 'native'],
  requiresGpu: false,
  ...LLAMA_SERVER_API,
  images: [
    { image: LLAMACPP_CUDA_IMAGE, arch: 'amd64', gpu: true },
    { image: LLAMACPP_CPU_IMAGE, buildScript: 'scripts/build-llamacpp-image.sh' },
  ],
  nativeExecutable: 'llama-server',
  // llama.cpp refuses more parallel sequences than LLAMA_MAX_SEQ (256): the server exits at start
  contextSlots: {
    contextFlag: '--ctx-size',
    maxSlots: 256,
    ownFlags: ['--ctx-size', '-c', '--parallel', '-np', '--kv-unified', '-kvu'],
  },
  servedModelName: servedName,
  containerPlan: (launch) => ({ cmd: serverArgs(launch) }),
  hostCommand: (launch) => ({ command: 'llama-server', args: serverArgs(launch), env: launch.env }),
};
