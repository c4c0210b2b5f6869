import { KittError } from '../core/errors.js';
import type { EngineRequest } from './engine.js';
import type { EngineDefinition } from './engine-definition.js';
import { registerGgufWithOllama } from './ollama-register.js';

/** Upstream image (multi-arch, CUDA included), pinned. */
export const OLLAMA_IMAGE = 'ollama/ollama:0.12.3';
/**
 * Named volume holding Ollama's model store across runs: a GGUF is imported (hashed and copied in)
 * once, and later runs find its blob and manifest already there.
 */
export const OLLAMA_MODELS_VOLUME = 'kitt-ollama-models';

/**
 * `ollama serve` takes no flags; it is configured by OLLAMA_* variables, so --engine-arg values for
 * Ollama are KEY=VALUE pairs (e.g. OLLAMA_FLASH_ATTENTION=1).
 */
export function ollamaEnv(request: EngineRequest, bindAddress: string, port: number): Record<string, string> {
  const env: Record<string, string> = {
    OLLAMA_HOST: `${bindAddress}:${port}`,
    // keep the model loaded between requests, so load time never lands in a measured request
    OLLAMA_KEEP_ALIVE: '-1',
    OLLAMA_NUM_PARALLEL: String(request.parallel ?? 1),
  };
  for (const arg of request.engineArgs) {
    const match = /^(OLLAMA_[A-Z0-9_]+)=(.*)$/.exec(arg);
    if (!match) {
      throw new KittError('USAGE', `--engine-arg "${arg}" is not an OLLAMA_*=value setting`, {
        hint: 'ollama serve takes no flags; pass settings as --engine-arg OLLAMA_FLASH_ATTENTION=1',
      });
    }
    env[match[1]!] = match[2]!;
  }
  return env;
}

export const ollamaEngine: EngineDefinition = {
  name: 'ollama',
  title: 'Ollama',
  defaultPort: 11434,
  api: 'ollama',
  loadApi: 'ollama-generate',
  readiness: { httpPath: '/api/tags', timeoutMs: 120_000 },
  formats: ['gguf'],
  modelKind: 'file',
  modes: ['docker', 'native'],
  requiresGpu: false,
  // num_predict caps the length but EOS still ends generation; no tokenize or Prometheus endpoint
  supports: { ignoreEos: false, usageInStream: true, report: 'eval-durations' },
  metrics: { promptTokens: [], generatedTokens: [] },
  images: [{ image: OLLAMA_IMAGE }],
  nativeExecutable: 'ollama',
  // the real name is content-addressed and known after registration (prepareModel)
  servedModelName: () => 'kitt-model',
  containerPlan: ({ request, bindAddress, port }) => ({
    cmd: ['serve'],
    env: ollamaEnv(request, bindAddress, port),
    volumes: [{ name: OLLAMA_MODELS_VOLUME, target: '/root/.ollama' }],
  }),
  hostCommand: ({ request, bindAddress, port, env }) => ({
    command: 'ollama',
    args: ['serve'],
    env: { ...env, ...ollamaEnv(request, bindAddress, port) },
  }),
  prepareModel: (context) => registerGgufWithOllama(context),
};
