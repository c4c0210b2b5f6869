import type { KittConfig } from '../../config/config-schema.js';
import { monotonicClock } from '../../core/clock.js';
import { KittError } from '../../core/errors.js';
import type { Progress } from '../../core/progress.js';
import type { RunningEngine } from '../../engines/engine.js';
import { loadTargetOf } from '../../engines/engine-target.js';
import { createInfluxWriter, type InfluxWriter } from '../../export/influx-writer.js';
import type { RunLabels } from '../../export/metric-point.js';
import type { MetricsServer } from '../../export/prometheus-exporter.js';
import { collectHardware } from '../../hardware/fingerprint.js';
import { startGpuSampler } from '../../hardware/gpu-sampler.js';
import type { LoadTarget } from '../../load/load-target.js';
import { runLoad } from '../../load/run-load.js';
import type { StatsSample } from '../../runtime/container-runtime.js';
import { sampleStats } from '../../runtime/sample-stats.js';
import { defaultStorePath } from '../../store/open-store.js';
import type { Store } from '../../store/store-types.js';
import type { AttachedTarget } from '../shared/attach-target.js';
import { openRunStore } from '../shared/open-run-store.js';
import { prepareModel } from '../shared/prepare-model.js';
import { createEngineStarter, type EngineStarter } from '../shared/start-engine.js';
import { startLiveFeed } from './live-feed.js';
import type { ResourceWatch, RunPorts } from './run-benchmark.js';

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
  /** A server that runs already (--target): the run measures it instead of starting an engine. */
  readonly attached?: AttachedTarget | undefined;
  /** A kitt server to publish the run's live snapshot to (docs/server.md, "Live runs"). */
  readonly live?: { readonly url: string; readonly token: string | undefined } | undefined;
}

/** The real parts of a run, wired once; close() releases the store, servers and clients. */
export interface ClosableRunPorts extends RunPorts {
  close(): Promise<void>;
}

export async function createRunPorts(options: RunPortsOptions): Promise<ClosableRunPorts> {
  const { config, home, env, progress } = options;
  const store = await openRunStore(config.store.url ?? defaultStorePath(home));
  const starter = createEngineStarter({ config, env, pull: options.pull });
  const influx = influxFrom(config);
  let metricsServer: MetricsServer | undefined;
  return {
    store,
    ...(influx ? { influx } : {}),
    ...(options.attached
      ? attachedParts(options.attached, progress)
      : {
          prepareModel: (request, modelProgress) => prepareModel(request, home, modelProgress),
          startEngine: (request, context) => starter.start(request, context),
          targetFor,
          watchResources: (engine, onSample) => watchResources(starter, engine, onSample),
          watchGpus: () => startGpuSampler({ nowMs: () => monotonicClock.nowMs() }),
        }),
    runLoad: (spec, target, context) => runLoad(spec, target, context),
    collectHardware: () => collectHardware({ env, dockerTimeoutMs: 1_000 }),
    startLive: ({ runId, load }) =>
      options.live ? startLiveFeed({ ...options.live, runId, load, warn: (line) => progress.warn(line) }) : undefined,
    startMonitoring: async (labels: RunLabels) => {
      const port =
        options.prometheusPort ?? (config.export.prometheus.enabled ? config.export.prometheus.port : undefined);
      if (port === undefined) return undefined;
      // prom-client loads only for a run that serves live metrics
      const { RunMetricsExporter, serveMetrics } = await import('../../export/prometheus-exporter.js');
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

/**
 * The parts of a run against a server that runs already: its model is the one it serves, "starting"
 * hands back the attached handle, the load carries the target's headers, and nothing is sampled:
 * its container and GPUs, if any, are not kitt's to read.
 */
function attachedParts(
  attached: AttachedTarget,
  progress: Progress,
): Pick<RunPorts, 'prepareModel' | 'startEngine' | 'targetFor' | 'watchResources'> {
  const { engine, loadTarget, record } = attached;
  return {
    prepareModel: async () => ({ path: record.servedModel, label: record.servedModel }),
    startEngine: async () => {
      progress.info(`measuring ${record.url} (${record.engine}, model ${record.servedModel}); nothing is started`);
      return engine;
    },
    targetFor: () => loadTarget,
    watchResources: () => null,
  };
}

/**
 * The load target the engine's definition exposes: raw completions for most OpenAI-style engines,
 * so prompt lengths are exactly the tokens kitt built; chat or Ollama's generate where that is
 * what the engine serves.
 */
export function targetFor(engine: RunningEngine): LoadTarget {
  return loadTargetOf(engine);
}

/** Docker streams about one stats reading a second; a run shorter than that still gets one. */
const FIRST_SAMPLE_WAIT_MS = 3_000;

/**
 * Samples the engine's resources until stop(). The wait for a first sample settles on every path
 * (a sample, the sampler ending because the engine is gone, the deadline, or `force`) on a timer
 * that keeps the event loop alive: with an unref'd one, an engine killed mid-run left this the
 * only pending await, and Node exited with code 13 before any cleanup ran.
 */
export function watchResources(
  starter: Pick<EngineStarter, 'statsSourceFor'>,
  engine: RunningEngine,
  onSample: ((sample: StatsSample) => void) | undefined,
  firstSampleWaitMs = FIRST_SAMPLE_WAIT_MS,
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
    stop: async (force) => {
      let timer: NodeJS.Timeout | undefined;
      let onForce = () => {};
      await Promise.race([
        sampled,
        series.then(
          () => undefined,
          () => undefined,
        ),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, force?.aborted ? 0 : firstSampleWaitMs);
          onForce = resolve;
          force?.addEventListener('abort', onForce, { once: true });
        }),
      ]);
      clearTimeout(timer);
      force?.removeEventListener('abort', onForce);
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
