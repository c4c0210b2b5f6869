import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { KittError } from '../core/errors.js';
import type { RunLabels } from './metric-point.js';

/** What one finished request contributes to the live series. */
export interface RequestObservation {
  readonly outcome: 'ok' | 'error' | 'dropped';
  readonly errorKind?: string;
  readonly ttftMs?: number | null;
  readonly tpotMs?: number | null;
  readonly e2eMs?: number | null;
  readonly queueMs?: number | null;
  readonly outputTokens: number;
  readonly promptTokens: number;
}

/** One container stats sample, as far as the live series need it. */
export interface ContainerObservation {
  readonly cpuPercentOfLimit: number | null;
  readonly memoryBytes: number | null;
  readonly memoryLimitBytes: number | null;
  /** Cumulative since the container started. */
  readonly throttledTimeMs: number | null;
  readonly pids: number | null;
}

export interface CalibrationObservation {
  readonly window: number;
  readonly offeredRate: number;
  readonly unit: string;
  readonly cpuPercentOfLimit: number | null;
  readonly calibratedRate?: number;
}

const LABELS = ['engine', 'model', 'run_id', 'mode'] as const;
// 1 ms .. ~65 s in powers of two: wide enough for TTFT on a loaded CPU engine and E2E of long outputs.
const LATENCY_BUCKETS_S = Array.from({ length: 17 }, (_, i) => 0.001 * 2 ** i);

/**
 * The series kitt serves while it runs, named by Prometheus conventions: base units in names,
 * `_total` counters, engine/model/run/mode as labels. docs/monitoring.md lists them; the Grafana
 * dashboards query exactly these names (a test checks it).
 */
export class RunMetricsExporter {
  readonly registry = new Registry();
  private readonly labels: Record<(typeof LABELS)[number], string>;
  private lastThrottledMs = 0;
  private readonly requests: Counter<string>;
  private readonly errors: Counter<string>;
  private readonly outputTokens: Counter<string>;
  private readonly promptTokens: Counter<string>;
  private readonly ttft: Histogram<string>;
  private readonly tpot: Histogram<string>;
  private readonly e2e: Histogram<string>;
  private readonly queue: Histogram<string>;
  private readonly cpuRatio: Gauge<string>;
  private readonly memory: Gauge<string>;
  private readonly memoryLimit: Gauge<string>;
  private readonly throttled: Counter<string>;
  private readonly pids: Gauge<string>;
  private readonly calibrationRate: Gauge<string>;
  private readonly calibrationWindow: Gauge<string>;
  private readonly calibrationCpu: Gauge<string>;
  private readonly calibratedRate: Gauge<string>;

  constructor(run: RunLabels, kittVersion: string) {
    this.labels = { engine: run.engine, model: run.model, run_id: run.runId, mode: run.mode };
    const registers = [this.registry];
    const counter = (name: string, help: string, extra: string[] = []) =>
      new Counter({ name, help, labelNames: [...LABELS, ...extra], registers });
    const gauge = (name: string, help: string, extra: string[] = []) =>
      new Gauge({ name, help, labelNames: [...LABELS, ...extra], registers });
    const histogram = (name: string, help: string) =>
      new Histogram({ name, help, labelNames: [...LABELS], buckets: LATENCY_BUCKETS_S, registers });

    gauge('kitt_run_info', 'Constant 1; labels describe the run.', ['kitt_version']).set(
      { ...this.labels, kitt_version: kittVersion },
      1,
    );
    this.requests = counter('kitt_requests_total', 'Requests finished, by outcome.', ['outcome']);
    this.errors = counter('kitt_request_errors_total', 'Failed requests, by error kind.', ['kind']);
    this.outputTokens = counter('kitt_output_tokens_total', 'Output tokens received (server usage when reported).');
    this.promptTokens = counter('kitt_prompt_tokens_total', 'Prompt tokens sent (server usage when reported).');
    this.ttft = histogram('kitt_request_ttft_seconds', 'Time from send to the first non-empty content token.');
    this.tpot = histogram('kitt_request_tpot_seconds', 'Time per output token after the first.');
    this.e2e = histogram('kitt_request_e2e_seconds', 'Time from send to the end of the response.');
    this.queue = histogram('kitt_request_queue_seconds', 'Time from the scheduled send to the actual send.');
    this.cpuRatio = gauge('kitt_container_cpu_ratio', 'Engine CPU use as a fraction of its CPU limit.');
    this.memory = gauge('kitt_container_memory_bytes', 'Engine memory in use (without page cache).');
    this.memoryLimit = gauge('kitt_container_memory_limit_bytes', 'Engine memory limit.');
    this.throttled = counter('kitt_container_cpu_throttled_seconds_total', 'Time the engine was CPU-throttled.');
    this.pids = gauge('kitt_container_pids', 'Processes and threads in the engine container.');
    this.calibrationRate = gauge('kitt_calibration_offered_rate', 'Rate offered in the current window.', ['unit']);
    this.calibrationWindow = gauge('kitt_calibration_window', 'Index of the current calibration window.');
    this.calibrationCpu = gauge('kitt_calibration_cpu_ratio', 'CPU fraction of limit in the last window.');
    this.calibratedRate = gauge('kitt_calibrated_rate', 'The rate calibration settled on.', ['unit']);
  }

  observeRequest(observation: RequestObservation): void {
    const labels = this.labels;
    this.requests.inc({ ...labels, outcome: observation.outcome });
    if (observation.outcome === 'error') this.errors.inc({ ...labels, kind: observation.errorKind ?? 'unknown' });
    if (observation.outputTokens > 0) this.outputTokens.inc(labels, observation.outputTokens);
    if (observation.promptTokens > 0) this.promptTokens.inc(labels, observation.promptTokens);
    observeMs(this.ttft, labels, observation.ttftMs);
    observeMs(this.tpot, labels, observation.tpotMs);
    observeMs(this.e2e, labels, observation.e2eMs);
    observeMs(this.queue, labels, observation.queueMs);
  }

  observeContainer(sample: ContainerObservation): void {
    const labels = this.labels;
    if (sample.cpuPercentOfLimit !== null) this.cpuRatio.set(labels, sample.cpuPercentOfLimit / 100);
    if (sample.memoryBytes !== null) this.memory.set(labels, sample.memoryBytes);
    if (sample.memoryLimitBytes !== null) this.memoryLimit.set(labels, sample.memoryLimitBytes);
    if (sample.pids !== null) this.pids.set(labels, sample.pids);
    if (sample.throttledTimeMs !== null && sample.throttledTimeMs > this.lastThrottledMs) {
      this.throttled.inc(labels, (sample.throttledTimeMs - this.lastThrottledMs) / 1000);
      this.lastThrottledMs = sample.throttledTimeMs;
    }
  }

  observeCalibration(state: CalibrationObservation): void {
    const labels = this.labels;
    this.calibrationWindow.set(labels, state.window);
    this.calibrationRate.set({ ...labels, unit: state.unit }, state.offeredRate);
    if (state.cpuPercentOfLimit !== null) this.calibrationCpu.set(labels, state.cpuPercentOfLimit / 100);
    if (state.calibratedRate !== undefined)
      this.calibratedRate.set({ ...labels, unit: state.unit }, state.calibratedRate);
  }

  metricsText(): Promise<string> {
    return this.registry.metrics();
  }
}

function observeMs(histogram: Histogram<string>, labels: Record<string, string>, ms: number | null | undefined): void {
  if (ms !== null && ms !== undefined && Number.isFinite(ms)) histogram.observe(labels, ms / 1000);
}

export interface MetricsServer {
  readonly port: number;
  /** The address really bound, e.g. 127.0.0.1, 0.0.0.0 or ::. */
  readonly host: string;
  /** Where it serves, with the bound address (a wildcard address is shown as it is: every interface). */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` for Prometheus to scrape. Port 0 picks a free one. Binds loopback unless
 * `host` says otherwise: the series name the engine, model and run, which is nobody else's business,
 * and the monitoring stack's Prometheus runs on the host network and scrapes 127.0.0.1.
 */
export async function serveMetrics(
  exporter: { registry: Registry },
  options: { port: number; host?: string },
): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') {
      exporter.registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { 'content-type': exporter.registry.contentType });
          res.end(text);
        })
        .catch((error: Error) => {
          res.writeHead(500).end(error.message);
        });
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('kitt serves /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new KittError('PORT_IN_USE', `port ${options.port} for kitt's metrics is in use`, {
              hint: 'set export.prometheus.port (or KITT_PROMETHEUS_PORT) to a free port, or 0 for any',
            })
          : error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND'
            ? new KittError('USAGE', `kitt's metrics cannot bind ${host}: no such address on this machine`, {
                hint: 'set --prometheus-host (or export.prometheus.host) to 127.0.0.1, 0.0.0.0 or an address of this machine',
              })
            : error,
      ),
    );
    server.listen(options.port, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const bound = typeof address === 'object' && address ? address.address : host;
  return {
    port,
    host: bound,
    url: `http://${bound.includes(':') ? `[${bound}]` : bound}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
