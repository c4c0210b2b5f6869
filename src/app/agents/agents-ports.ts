import { join } from 'node:path';
import type { MemoryStore } from '../../agents/memory-store.js';
import type { KittConfig } from '../../config/config-schema.js';
import { KittError } from '../../core/errors.js';
import type { Progress } from '../../core/progress.js';
import type { RunningEngine } from '../../engines/engine.js';
import { collectHardware } from '../../hardware/fingerprint.js';
import { type StatsSeries, sampleStats } from '../../runtime/sample-stats.js';
import { defaultStorePath } from '../../store/open-store.js';
import type { AttachedTarget } from '../shared/attach-target.js';
import { openRunStore } from '../shared/open-run-store.js';
import { prepareModel } from '../shared/prepare-model.js';
import { createEngineStarter, type EngineStarter } from '../shared/start-engine.js';
import { openQdrantMemory } from './qdrant-memory.js';
import type { AgentsPorts } from './run-agents.js';
import { openSqliteMemory } from './sqlite-memory.js';

export interface AgentsPortsOptions {
  readonly config: KittConfig;
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
  readonly pull: boolean;
  readonly progress: Progress;
  /** A server that runs already (--target): thinks go there, nothing is started or sampled. */
  readonly attached?: AttachedTarget | undefined;
  /** The memory store; default: the embedded SQLite file under KITT_HOME. */
  readonly memory?: MemoryStore;
}

/** Where the embedded memory lives: one SQLite file beside the results store. */
export function memoryPath(home: string): string {
  return join(home, 'agents', 'memory.db');
}

/**
 * Qdrant when memory.url is set (its key read from the variable memory.apiKeyEnv names), else
 * the embedded SQLite file.
 */
export function openMemory(config: KittConfig, home: string, env: NodeJS.ProcessEnv): MemoryStore {
  const { url, collection, apiKeyEnv } = config.memory;
  if (url === undefined) return openSqliteMemory(memoryPath(home));
  const apiKey = apiKeyEnv === undefined ? undefined : env[apiKeyEnv];
  if (apiKeyEnv !== undefined && !apiKey) {
    throw new KittError('CONFIG_INVALID', `memory.apiKeyEnv names ${apiKeyEnv}, which is not set`, {
      hint: `export ${apiKeyEnv}=<Qdrant's key> before running kitt, or drop memory.apiKeyEnv`,
    });
  }
  return openQdrantMemory({ url: url.reveal(), location: String(url), collection, ...(apiKey ? { apiKey } : {}) });
}

/** The real parts of an agents run, wired once; close() releases the store and the memory. */
export async function createAgentsPorts(
  options: AgentsPortsOptions,
): Promise<AgentsPorts & { close(): Promise<void> }> {
  const { config, home, env, progress, attached } = options;
  const store = await openRunStore(config.store.url ?? defaultStorePath(home));
  const memory = options.memory ?? openMemory(config, home, env);
  const starter = createEngineStarter({ config, env, pull: options.pull });
  const hardware = () => collectHardware({ env, dockerTimeoutMs: 1_000 });
  const close = async () => {
    await memory.close();
    await starter.close();
    await store.close();
  };
  if (attached) {
    const { engine, loadTarget, record } = attached;
    return {
      store,
      memory,
      prepareModel: async () => ({ path: record.servedModel, label: record.servedModel }),
      startEngine: async () => {
        progress.info(
          `agents think at ${record.url} (${record.engine}, model ${record.servedModel}); nothing is started`,
        );
        return engine;
      },
      endpointFor: () => ({ baseUrl: loadTarget.baseUrl, model: loadTarget.model, headers: loadTarget.headers ?? {} }),
      watchResources: () => null,
      collectHardware: hardware,
      close,
    };
  }
  return {
    store,
    memory,
    prepareModel: (request, modelProgress) => prepareModel(request, home, modelProgress),
    startEngine: (request, context) => starter.start(request, context),
    endpointFor: (engine) => ({ baseUrl: engine.baseUrl, model: engine.servedModel, headers: {} }),
    watchResources: (engine) => watchEngine(starter, engine),
    collectHardware: hardware,
    close,
  };
}

/** Samples the engine's container or process once a second until stop(); stop is idempotent. */
function watchEngine(starter: EngineStarter, engine: RunningEngine): { stop(): Promise<StatsSeries> } | null {
  const source = starter.statsSourceFor(engine);
  if (!source) return null;
  const abort = new AbortController();
  const series = sampleStats(source.runtime, source.ref, { intervalMs: 1000, signal: abort.signal });
  return {
    stop: () => {
      abort.abort();
      return series;
    },
  };
}
