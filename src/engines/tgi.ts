import { basename } from 'node:path';
import { withDefaults } from './engine-args.js';
import type { DetectedModel, EngineDefinition, LaunchContext } from './engine-definition.js';

/** Upstream image, pinned (amd64, CUDA). Its entrypoint is text-generation-launcher. */
export const TGI_IMAGE = 'ghcr.io/huggingface/text-generation-inference:3.3.4';
/** Shared memory for NCCL between shards (Docker's 64 MiB default is too small). */
const SHM_BYTES = 1024 ** 3;

function servedName(model: DetectedModel): string {
  return basename(model.servePath);
}

/** text-generation-launcher flags, the same in the image and on the host. */
function launcherArgs({ request, bindAddress, modelPath, port }: LaunchContext): string[] {
  return withDefaults(
    [
      [['--model-id'], ['--model-id', modelPath]],
      [['--hostname'], ['--hostname', bindAddress]],
      [
        ['--port', '-p'],
        ['--port', String(port)],
      ],
      [['--max-concurrent-requests'], request.parallel ? ['--max-concurrent-requests', String(request.parallel)] : []],
    ],
    request.engineArgs,
  );
}

/**
 * Hugging Face Text Generation Inference. Load goes to its OpenAI-compatible chat endpoint (the
 * chat template adds tokens to each prompt); it has no ignore_eos, so output lengths vary. Token
 * totals come from its histograms' `_sum` series.
 */
export const tgiEngine: EngineDefinition = {
  name: 'tgi',
  title: 'Hugging Face TGI',
  aliases: ['text-generation-inference'],
  defaultPort: 8080,
  api: 'openai',
  loadApi: 'openai-chat',
  readiness: { httpPath: '/health', timeoutMs: 900_000 },
  formats: ['safetensors'],
  modelKind: 'directory',
  modes: ['docker', 'native'],
  requiresGpu: true,
  supports: { ignoreEos: false, metricsPath: '/metrics', usageInStream: false, report: 'none' },
  metrics: {
    promptTokens: ['tgi_request_input_length_sum'],
    generatedTokens: ['tgi_request_generated_tokens_sum'],
    queueGauge: 'tgi_queue_size',
    busyGauges: ['tgi_batch_current_size', 'tgi_queue_size'],
  },
  images: [{ image: TGI_IMAGE, arch: 'amd64' }],
  nativeExecutable: 'text-generation-launcher',
  servedModelName: servedName,
  containerPlan: (launch) => ({ cmd: launcherArgs(launch), shmSizeBytes: SHM_BYTES }),
  hostCommand: (launch) => ({ command: 'text-generation-launcher', args: launcherArgs(launch), env: launch.env }),
};
