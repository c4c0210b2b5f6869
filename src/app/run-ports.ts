import { basename } from 'node:path';
import type { KittConfig } from '../config/config-schema.js';
import { KittError } from '../core/errors.js';
import type { Progress } from '../core/progress.js';
import { ENGINE_CATALOG } from '../engines/catalog.js';
import type { EngineRequest, RunningEngine } from '../engines/engine.js';
import type { ServerEngineName } from '../engines/engine-definition.js';
import { createInfluxWriter, type InfluxWriter } from '../export/influx-writer.js';
import type { RunLabels } from '../export/metric-point.js';
import { type MetricsServer, RunMetricsExporter, serveMetrics } from '../export/prometheus-exporter.js';
import { collectHardware } from '../hardware/fingerprint.js';
import type { LoadTarget } from '../load/load-target.js';
import { runLoad } from '../load/run-load.js';
import { ensureDefaultModel } from '../models/default-model.js';
import { validateGguf } from '../models/validate-gguf.js';
import type { StatsSample } from '../runtime/container-runtime.js';
import { sampleStats } from '../runtime/sample-stats.js';
import { defaultStorePath, openStore } from '../store/open-store.js';
import type { Store } from '../store/store-types.js';
import type { PreparedModel, ResourceWatch, RunPorts } from './run-benchmark.js';
import { createEngineStarter, type EngineStarter } from './start-engine.js';

export interface RunPortsOptions {
  readonly config: KittConfig;
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
  readonly pull: boolean;
  /** Overrides export.prometheus: serve live metrics on this port (0 = any free port). */
  readonly prometheusPort?: number | undefined;
  /** Overrides export.prometheus.host: the address the live metrics bind. */
  readonly prometheusHost?: string | undefined;
  readonly progress: Progress;
  readonly kittVersion: string;
}

/** The real parts of a run, wired once; close() releases the store, servers and clients. */
export interface ClosableRunPorts extends RunPorts {
  close(): Promise<void>;
}

export async function createRunPorts(options: RunPortsOptions): Promise<ClosableRunPorts> {
  const { config, home, env, progress } = options;
  const store = await openStore(config.store.url ?? defaultStorePath(home));
  const starter = createEngineStarter({ config, env, pull: options.pull });
  const influx = influxFrom(config);
  let metricsServer: MetricsServer | undefined;
  return {
    store,
    ...(influx ? { influx } : {}),
    prepareModel: (request, modelProgress) => prepareModel(request, home, modelProgress),
    startEngine: (request, context) => starter.start(request, context),
    targetFor,
    runLoad: (spec, target, context) => runLoad(spec, target, context),
    watchResources: (engine, onSample) => watchResources(starter, engine, onSample),
    collectHardware: () => collectHardware({ env, dockerTimeoutMs: 1_000 }),
    startMonitoring: async (labels: RunLabels) => {
      const port =
        options.prometheusPort ?? (config.export.prometheus.enabled ? config.export.prometheus.port : undefined);
      if (port === undefined) return undefined;
      const exporter = new RunMetricsExporter(labels, options.kittVersion);
      const host = options.prometheusHost ?? config.export.prometheus.host;
      metricsServer = await serveMetrics(exporter, { port, host });
      progress.info(`serving live metrics on ${metricsServer.url}`);
      return exporter;
    },
    close: async () => {
      await metricsServer?.close();
      await influx?.close().catch(() => undefined);
      await starter.close();
      await store.close();
    },
  };
}

async function prepareModel(request: EngineRequest, home: string, progress: Progress): Promise<PreparedModel> {
  if (request.modelPath === '') {
    if (request.engine === 'vllm' || request.engine === 'exllamav2') {
      throw new KittError('MODEL_NOT_FOUND', `${request.engine} needs a model directory`, {
        hint: 'pass -m /path/to/model (or set MODEL_PATH); the synthetic default is a GGUF file',
      });
    }
    const model = await ensureDefaultModel(home, progress);
    return { path: model.path, label: model.name ?? basename(model.path, '.gguf'), sizeBytes: model.fileBytes };
  }
  const ggufEngine = request.engine === 'embedded' || request.engine === 'llamacpp' || request.engine === 'ollama';
  if (ggufEngine) {
    const model = await validateGguf(request.modelPath);
    return { path: model.path, label: basename(model.path, '.gguf'), sizeBytes: model.fileBytes };
  }
  // Directories (vLLM, ExLlamaV2) are checked by the engine's preflight.
  return { path: request.modelPath, label: basename(request.modelPath) };
}

/**
 * Raw completions for OpenAI-style engines, so prompt lengths are exactly the tokens kitt built
 * (a chat template would add tokens of its own); Ollama's generate endpoint for Ollama.
 */
export function targetFor(engine: RunningEngine): LoadTarget {
  if (engine.name === 'embedded') {
    return {
      baseUrl: engine.baseUrl,
      api: 'openai-completions',
      model: engine.servedModel,
      supports: { ignoreEos: true, tokenize: true, usage: 'final' },
      metricsPath: '/metrics',
    };
  }
  const support = ENGINE_CATALOG[engine.name as ServerEngineName].supports;
  return {
    baseUrl: engine.baseUrl,
    api: engine.api === 'ollama' ? 'ollama-generate' : 'openai-completions',
    model: engine.servedModel,
    supports: {
      ignoreEos: support.ignoreEos,
      tokenize: support.tokenizePath !== undefined,
      usage: support.usageInStream ? 'final' : 'none',
    },
    metricsPath: support.metricsPath ?? null,
  };
}

/** Docker streams about one stats reading a second; a run shorter than that still gets one. */
const FIRST_SAMPLE_WAIT_MS = 3_000;

function watchResources(
  starter: EngineStarter,
  engine: RunningEngine,
  onSample: ((sample: StatsSample) => void) | undefined,
): ResourceWatch | null {
  const source = starter.statsSourceFor(engine);
  if (!source) return null;
  const stop = new AbortController();
  let firstSample: () => void = () => {};
  const sampled = new Promise<void>((resolve) => {
    firstSample = resolve;
  });
  const series = sampleStats(source.runtime, source.ref, {
    intervalMs: 1000,
    signal: stop.signal,
    onSample: (sample) => {
      firstSample();
      onSample?.(sample);
    },
  });
  return {
    stop: async () => {
      await Promise.race([sampled, new Promise((resolve) => setTimeout(resolve, FIRST_SAMPLE_WAIT_MS).unref())]);
      stop.abort();
      return series;
    },
  };
}

function influxFrom(config: KittConfig): InfluxWriter | undefined {
  const influx = config.export.influx;
  // the URL, token and password stay Secrets: the writer reveals them to its HTTP client only
  if (!influx.url) return undefined;
  if (influx.version === 1) {
    return createInfluxWriter({
      version: 1,
      url: influx.url,
      database: influx.database ?? 'kitt',
      ...(influx.username ? { username: influx.username } : {}),
      ...(influx.password?.reveal() ? { password: influx.password } : {}),
    });
  }
  if (!influx.org || !influx.bucket || !influx.token?.reveal()) {
    throw new KittError('CONFIG_INVALID', 'export.influx needs org, bucket and token for InfluxDB 2', {
      hint: 'set export.influx.org, .bucket and .token (or KITT_INFLUX_ORG/_BUCKET/_TOKEN), or version: 1 with database',
    });
  }
  return createInfluxWriter({
    version: 2,
    url: influx.url,
    org: influx.org,
    bucket: influx.bucket,
    token: influx.token,
  });
}

export type { Store };
