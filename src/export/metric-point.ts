/**
 * A backend-neutral time-series point. Exporters (InfluxDB line protocol, Prometheus) translate
 * it; producers (the run, the stats sampler, calibration) never know which backend listens.
 */
export interface MetricPoint {
  readonly measurement: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, number | string | boolean>>;
  /** Milliseconds since the epoch. */
  readonly timestampMs: number;
}

/** The labels every kitt series carries, so one dashboard can split by engine, model and run. */
export interface RunLabels {
  readonly engine: string;
  readonly model: string;
  readonly runId: string;
  readonly mode: string;
}
