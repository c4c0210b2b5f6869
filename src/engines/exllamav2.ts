import { basename } from 'node:path';
import { CONTAINER_MODEL_DIR } from './container-plan.js';
import { withDefaults } from './engine-args.js';
import type { DetectedModel, EngineDefinition, LaunchContext } from './engine-definition.js';

/**
 * ExLlamaV2 is a library; its OpenAI-compatible server is TabbyAPI. The image's entrypoint is
 * `python3` with `main.py` as the command, so kitt's command starts with `main.py`.
 * TabbyAPI publishes no versioned tags; pin a digest through an image override for reproducible runs.
 */
export const EXLLAMAV2_IMAGE = 'ghcr.io/theroyallab/tabbyapi:latest';

function servedName(model: DetectedModel): string {
  return basename(model.servePath);
}

/**
 * TabbyAPI's flags mirror its config.yml (`network.*`, `model.*`). It loads `model_dir/model_name`,
 * so the model folder is mounted at /models/<name> and named here. Auth is off: the server listens
 * on the host's loopback only.
 */
function serverArgs({ request, bindAddress, port, model }: LaunchContext): string[] {
  return withDefaults(
    [
      [['--host'], ['--host', bindAddress]],
      [['--port'], ['--port', String(port)]],
      [['--disable-auth'], ['--disable-auth', 'true']],
      [['--model-dir'], ['--model-dir', CONTAINER_MODEL_DIR]],
      [['--model-name'], ['--model-name', servedName(model)]],
      [['--max-batch-size'], request.parallel ? ['--max-batch-size', String(request.parallel)] : []],
    ],
    request.engineArgs,
  );
}

export const exllamav2Engine: EngineDefinition = {
  name: 'exllamav2',
  title: 'ExLlamaV2 (TabbyAPI)',
  aliases: ['tabbyapi', 'exllama'],
  defaultPort: 8000,
  api: 'openai',
  loadApi: 'openai-completions',
  readiness: { httpPath: '/health', timeoutMs: 600_000 },
  formats: ['exl2', 'gptq'],
  modelKind: 'directory',
  // TabbyAPI runs from its own Python environment; kitt starts it only in its image
  modes: ['docker'],
  requiresGpu: true,
  // TabbyAPI bans EOS with its own `ban_eos_token`, not OpenAI's ignore_eos; it serves no /metrics
  supports: { ignoreEos: false, tokenizePath: '/v1/token/encode', usageInStream: true, report: 'none' },
  metrics: { promptTokens: [], generatedTokens: [] },
  images: [{ image: EXLLAMAV2_IMAGE, arch: 'amd64' }],
  servedModelName: servedName,
  containerPlan: (launch) => ({ cmd: ['main.py', ...serverArgs(launch)] }),
};
