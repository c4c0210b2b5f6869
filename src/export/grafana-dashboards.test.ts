import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parsePrometheusText } from '../metrics/prometheus-text.js';
import { buildDashboards, influxFieldsQueriedByDashboards, seriesQueriedByDashboards } from './grafana-dashboards.js';
import { RunMetricsExporter } from './prometheus-exporter.js';
import { calibrationPoint, requestPoint, runPoint } from './run-points.js';

const labels = { engine: 'llamacpp', model: 'tiny', runId: 'r', mode: 'docker' };

test('every series a Grafana panel queries exists in kitt exposition', async () => {
  const exporter = new RunMetricsExporter(labels, 'test');
  exporter.observeRequest({
    outcome: 'error',
    errorKind: 'timeout',
    ttftMs: 1,
    tpotMs: 1,
    e2eMs: 1,
    queueMs: 1,
    outputTokens: 1,
    promptTokens: 1,
  });
  exporter.observeContainer({ cpuPercentOfLimit: 1, memoryBytes: 1, memoryLimitBytes: 1, throttledTimeMs: 1, pids: 1 });
  exporter.observeCalibration({
    window: 1,
    offeredRate: 1,
    unit: 'requests/s',
    cpuPercentOfLimit: 1,
    calibratedRate: 1,
  });
  const exposed = new Set(Object.keys(parsePrometheusText(await exporter.metricsText()).types));
  const missing = seriesQueriedByDashboards().filter((name) => !exposed.has(name));
  assert.deepEqual(missing, []);
  assert.ok(seriesQueriedByDashboards().length >= 10);
});

test('every InfluxDB field a panel charts is written by kitt', () => {
  const obs = { outcome: 'ok' as const, ttftMs: 1, tpotMs: 1, e2eMs: 1, queueMs: 0, outputTokens: 1, promptTokens: 1 };
  const headline = {
    requestsPerS: 1,
    outputTokensPerS: 1,
    ttftP50Ms: 1,
    ttftP99Ms: 1,
    tpotP50Ms: 1,
    tpotP99Ms: 1,
    e2eP99Ms: 1,
    succeeded: 1,
    failed: 0,
  };
  const written = [
    requestPoint(labels, obs, 0),
    runPoint(labels, headline, 0),
    calibrationPoint(labels, { rate: 1, unit: 'requests/s', limitsKey: 'cpus=1', held: true }, 0),
  ];
  const missing = influxFieldsQueriedByDashboards().filter(
    ({ measurement, field }) => !written.some((p) => p.measurement === measurement && field in p.fields),
  );
  assert.deepEqual(missing, []);
});

test('the committed dashboard JSON is what the generator writes (run npm run dashboards)', () => {
  for (const [name, dashboard] of Object.entries(buildDashboards())) {
    const committed = readFileSync(
      new URL(`../../docker/monitoring/grafana/dashboards/${name}`, import.meta.url),
      'utf8',
    );
    assert.equal(committed, `${JSON.stringify(dashboard, null, 2)}\n`, `${name} is stale`);
  }
});
