import { basename } from 'node:path';
import { withDefaults } from './engine-args.js';
import type { DetectedModel, EngineDefinition, LaunchContext } from './engine-definition.js';

/**
 * Upstream image, pinned (CUDA 12.9 build, amd64). The image has no server entrypoint of its own,
 * so kitt sets `python3 -m sglang.launch_server`.
 */
export const SGLANG_IMAGE = 'lmsysorg/sglang:v0.5.3-cu129';
const LAUNCH_SERVER = ['python3', '-m', 'sglang.launch_server'];
/** Shared memory for the scheduler and tensor-parallel workers (Docker's 64 MiB default is too small). */
const SHM_BYTES = 8 * 1024 ** 3;

function servedName(model: DetectedModel): string {
  return basename(model.servePath);
}

/** launch_server flags; /metrics exists only with --enable-metrics. */
function serverArgs({ request, bindAddress, modelPath, port, model }: LaunchContext): string[] {
  return withDefaults(
    [
      [
        ['--model-path', '--model'],
        ['--model-path', modelPath],
      ],
      [['--served-model-name'], ['--served-model-name', servedName(model)]],
      [['--host'], ['--host', bindAddress]],
      [['--port'], ['--port', String(port)]],
      [['--enable-metrics'], ['--enable-metrics']],
      [['--max-running-requests'], request.parallel ? ['--max-running-requests', String(request.parallel)] : []],
    ],
    request.engineArgs,
  );
}

/** SGLang: OpenAI-compatible server from LMSYS (https://docs.sglang.ai). */
export const sglangEngine: EngineDefinition = {
  name: 'sglang',
  title: 'SGLang',
  defaultPort: 30000,
  api: 'openai',
  loadApi: 'openai-completions',
  // weights load and CUDA graphs are captured before /health answers 200
  readiness: { httpPath: '/health', timeoutMs: 900_000 },
  formats: ['safetensors', 'pytorch'],
  modelKind: 'directory',
  modes: ['docker', 'native'],
  requiresGpu: true,
  supports: { ignoreEos: true, metricsPath: '/metrics', usageInStream: true, report: 'none' },
  metrics: {
    promptTokens: ['sglang:prompt_tokens_total'],
    generatedTokens: ['sglang:generation_tokens_total'],
    queueGauge: 'sglang:num_queue_reqs',
    busyGauges: ['sglang:num_running_reqs', 'sglang:num_queue_reqs'],
  },
  images: [{ image: SGLANG_IMAGE, arch: 'amd64', entrypoint: LAUNCH_SERVER }],
  nativeExecutable: 'python3',
  servedModelName: servedName,
  containerPlan: (launch) => ({ cmd: serverArgs(launch), shmSizeBytes: SHM_BYTES }),
  hostCommand: (launch) => ({
    command: LAUNCH_SERVER[0]!,
    args: [...LAUNCH_SERVER.slice(1), ...serverArgs(launch)],
    env: launch.env,
  }),
};
