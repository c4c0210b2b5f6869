import { requestBounded } from '../../core/bounded-request.js';
import type { EngineRequest } from '../engine.js';
import type { EngineDefinition, LaunchContext } from '../engine-definition.js';
import { LLAMA_SERVER_API } from '../llamacpp.js';
import { defaultEmbeddedThreads, formatServerArgs } from './server-options.js';
import { childExecArgv, serverEntry, spawnEmbeddedChild } from './spawn-embedded-child.js';

/**
 * The threads the engine gets: as asked; else a CPU budget, when one is given, all to the engine
 * (at most 4); else the default, which leaves a CPU to kitt.
 */
export function embeddedThreads(request: EngineRequest, cpuCount: number): number {
  if (request.threads !== undefined) return request.threads;
  if (request.limits.cpus === undefined) return defaultEmbeddedThreads(cpuCount);
  return Math.max(1, Math.min(4, Math.floor(Math.min(cpuCount, request.limits.cpus))));
}

/** The child's command line: this Node with its loader flags, the server entry, and the server's flags. */
function childCommand({ request, modelPath, port, env, cpuCount }: LaunchContext) {
  const args = formatServerArgs({
    modelPath,
    port,
    parallel: request.parallel ?? 1,
    threads: embeddedThreads(request, cpuCount ?? 1),
  });
  return {
    command: process.execPath,
    args: [...childExecArgv(process.execArgv), serverEntry(), ...args, ...request.engineArgs],
    env,
  };
}

/** The id /v1/models reports (the server's alias), else the model path. */
async function reportedModelName(baseUrl: string, fallback: string): Promise<string> {
  try {
    const response = await requestBounded(`${baseUrl}/v1/models`, { deadlineMs: 5_000, maxBytes: 1024 * 1024 });
    const body = JSON.parse(response.body.toString('utf8')) as { data?: Array<{ id?: unknown }> };
    const id = body.data?.[0]?.id;
    return typeof id === 'string' ? id : fallback;
  } catch {
    return fallback;
  }
}

/**
 * kitt's embedded engine: llama.cpp through node-llama-cpp in a child process kitt spawns, serving
 * the OpenAI API with llama.cpp's metric names. Zero setup: no Docker, no executable, any free port.
 */
export const embeddedEngine: EngineDefinition = {
  name: 'embedded',
  title: 'embedded llama.cpp (inside kitt)',
  // 0: the child binds a free port and reports it
  defaultPort: 0,
  api: 'openai',
  loadApi: 'openai-completions',
  readiness: { httpPath: '/health', timeoutMs: 120_000, bodyMatch: /"status":\s*"ok"/ },
  formats: ['gguf'],
  modelKind: 'file',
  modes: ['embedded'],
  requiresGpu: false,
  ...LLAMA_SERVER_API,
  images: [],
  servedModelName: (model) => model.servePath,
  hostCommand: childCommand,
  spawnChild: (command) => spawnEmbeddedChild(command),
  prepareModel: ({ baseUrl, model }) => reportedModelName(baseUrl, model.servePath),
};
