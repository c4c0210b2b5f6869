/**
 * Grafana dashboards as code. `npm run dashboards` writes them to docker/monitoring/grafana/
 * dashboards/; a test keeps the committed JSON equal to this source and checks that every series a
 * panel queries exists in kitt's exposition, so no panel can stay empty for want of a metric.
 */
interface Target {
  readonly expr?: string;
  readonly query?: string;
  readonly legendFormat?: string;
  readonly refId: string;
}

interface Panel {
  readonly title: string;
  readonly unit: string;
  readonly targets: readonly Target[];
}

const BY = 'engine, model, run_id';
const quantiles = (metric: string): Target[] =>
  [0.5, 0.99].map((q, i) => ({
    expr: `histogram_quantile(${q}, sum by (le, ${BY}) (rate(${metric}_bucket[1m])))`,
    legendFormat: `p${q * 100} {{engine}} {{run_id}}`,
    refId: String.fromCharCode(65 + i),
  }));

const PROMETHEUS_PANELS: Panel[] = [
  {
    title: 'Requests per second by outcome',
    unit: 'reqps',
    targets: [
      {
        expr: `sum by (${BY}, outcome) (rate(kitt_requests_total[1m]))`,
        legendFormat: '{{outcome}} {{engine}}',
        refId: 'A',
      },
    ],
  },
  {
    title: 'Output tokens per second',
    unit: 'short',
    targets: [
      {
        expr: `sum by (${BY}) (rate(kitt_output_tokens_total[1m]))`,
        legendFormat: '{{engine}} {{run_id}}',
        refId: 'A',
      },
    ],
  },
  { title: 'Time to first token', unit: 's', targets: quantiles('kitt_request_ttft_seconds') },
  { title: 'Time per output token', unit: 's', targets: quantiles('kitt_request_tpot_seconds') },
  { title: 'End-to-end latency', unit: 's', targets: quantiles('kitt_request_e2e_seconds') },
  { title: 'Queue time (scheduled to sent)', unit: 's', targets: quantiles('kitt_request_queue_seconds') },
  {
    title: 'Errors per second by kind',
    unit: 'reqps',
    targets: [
      { expr: `sum by (${BY}, kind) (rate(kitt_request_errors_total[1m]))`, legendFormat: '{{kind}}', refId: 'A' },
    ],
  },
  {
    title: 'Engine CPU (fraction of its limit)',
    unit: 'percentunit',
    targets: [{ expr: 'kitt_container_cpu_ratio', legendFormat: '{{engine}} {{run_id}}', refId: 'A' }],
  },
  {
    title: 'Engine memory vs limit',
    unit: 'bytes',
    targets: [
      { expr: 'kitt_container_memory_bytes', legendFormat: 'used {{engine}}', refId: 'A' },
      { expr: 'kitt_container_memory_limit_bytes', legendFormat: 'limit {{engine}}', refId: 'B' },
    ],
  },
  {
    title: 'CPU throttling (seconds throttled per second)',
    unit: 'percentunit',
    targets: [{ expr: 'rate(kitt_container_cpu_throttled_seconds_total[1m])', legendFormat: '{{engine}}', refId: 'A' }],
  },
  {
    title: 'Engine processes and threads',
    unit: 'short',
    targets: [{ expr: 'kitt_container_pids', legendFormat: '{{engine}}', refId: 'A' }],
  },
  {
    title: 'Calibration: offered rate and result',
    unit: 'short',
    targets: [
      { expr: 'kitt_calibration_offered_rate', legendFormat: 'offered ({{unit}})', refId: 'A' },
      { expr: 'kitt_calibrated_rate', legendFormat: 'calibrated ({{unit}})', refId: 'B' },
    ],
  },
  {
    title: 'Calibration: CPU fraction per window',
    unit: 'percentunit',
    targets: [
      { expr: 'kitt_calibration_cpu_ratio', legendFormat: 'cpu', refId: 'A' },
      { expr: 'kitt_calibration_window', legendFormat: 'window', refId: 'B' },
    ],
  },
];

const FLUX = (measurement: string, field: string) =>
  `from(bucket: "benchmarks")\n  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)\n  |> filter(fn: (r) => r._measurement == "${measurement}" and r._field == "${field}")\n  |> group(columns: ["engine", "model"])`;

const INFLUX_PANELS: Panel[] = [
  { title: 'TTFT p99 per run (ms)', unit: 'ms', targets: [{ query: FLUX('kitt_run', 'ttft_p99_ms'), refId: 'A' }] },
  { title: 'TPOT p99 per run (ms)', unit: 'ms', targets: [{ query: FLUX('kitt_run', 'tpot_p99_ms'), refId: 'A' }] },
  {
    title: 'Output tokens per second per run',
    unit: 'short',
    targets: [{ query: FLUX('kitt_run', 'output_tokens_per_s'), refId: 'A' }],
  },
  { title: 'Request TTFT (ms)', unit: 'ms', targets: [{ query: FLUX('kitt_request', 'ttft_ms'), refId: 'A' }] },
  { title: 'Calibrated rate', unit: 'short', targets: [{ query: FLUX('kitt_calibration', 'rate'), refId: 'A' }] },
];

function dashboard(uid: string, title: string, datasourceUid: string, type: string, panels: readonly Panel[]) {
  return {
    uid,
    title,
    tags: ['kitt'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    refresh: '10s',
    time: { from: 'now-1h', to: 'now' },
    templating: { list: [] },
    panels: panels.map((panel, index) => ({
      id: index + 1,
      type: 'timeseries',
      title: panel.title,
      datasource: { type, uid: datasourceUid },
      gridPos: { h: 8, w: 12, x: (index % 2) * 12, y: Math.floor(index / 2) * 8 },
      fieldConfig: { defaults: { unit: panel.unit }, overrides: [] },
      targets: panel.targets.map((target) => ({ ...target, datasource: { type, uid: datasourceUid } })),
    })),
  };
}

export function buildDashboards(): Record<string, unknown> {
  return {
    'kitt-live.json': dashboard('kitt-live', 'kitt — live run', 'kitt-prometheus', 'prometheus', PROMETHEUS_PANELS),
    'kitt-history.json': dashboard('kitt-history', 'kitt — run history', 'kitt-influxdb', 'influxdb', INFLUX_PANELS),
  };
}

/** Every Prometheus series name a panel expression mentions (kitt_* identifiers, without _bucket). */
export function seriesQueriedByDashboards(): string[] {
  const names = new Set<string>();
  for (const panel of PROMETHEUS_PANELS) {
    for (const target of panel.targets) {
      for (const match of (target.expr ?? '').matchAll(/\bkitt_[a-z0-9_]+/g))
        names.add(match[0].replace(/_bucket$/, ''));
    }
  }
  return [...names].sort();
}

/** Every (measurement, field) an InfluxDB panel reads. */
export function influxFieldsQueriedByDashboards(): Array<{ measurement: string; field: string }> {
  return INFLUX_PANELS.flatMap((panel) =>
    panel.targets.flatMap((target) =>
      [...(target.query ?? '').matchAll(/_measurement == "([^"]+)" and r\._field == "([^"]+)"/g)].map((m) => ({
        measurement: m[1]!,
        field: m[2]!,
      })),
    ),
  );
}
