import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startInfluxDb1, startPrometheus } from '../../testing/external-services.js';
import { freePort, waitFor } from '../../testing/free-port.js';
import { exitOf, kittSpawn, tempHome } from '../../testing/kitt-cli.js';
import { ensureTestModel } from '../../testing/test-model.js';

interface PromResult {
  data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

test('during kitt run, a real Prometheus scrapes its live series and InfluxDB receives the run', async (t) => {
  const home = tempHome(t);
  const model = await ensureTestModel();
  const metricsPort = await freePort();
  const prometheus = await startPrometheus(t, `127.0.0.1:${metricsPort}`, 1);
  const influx = await startInfluxDb1(t);
  if (!prometheus || !influx) return;
  await fetch(`${influx.url}/query?q=${encodeURIComponent('CREATE DATABASE kitt')}`, { method: 'POST' });
  const config = join(home, 'kitt.yaml');
  writeFileSync(config, `export:\n  influx:\n    url: ${influx.url}\n    version: 1\n    database: kitt\n`);

  const run = kittSpawn(
    t,
    [
      'run',
      '-m',
      model,
      '--config',
      config,
      '--prometheus-port',
      String(metricsPort),
      '--duration',
      '12s',
      '--concurrency',
      '2',
      '--output-tokens',
      '16',
    ],
    { KITT_HOME: home },
  );
  // while the run is still going, Prometheus already has kitt's requests
  const live = await waitFor(
    async () => {
      if (run.exitCode !== null) throw new Error(`kitt ended early: ${run.output()}`);
      const query = encodeURIComponent('kitt_requests_total{outcome="ok"}');
      const body = (await (await fetch(`${prometheus.url}/api/v1/query?query=${query}`)).json()) as PromResult;
      return body.data.result.find((series) => Number(series.value[1]) > 0);
    },
    { timeoutMs: 60_000, intervalMs: 500, what: 'Prometheus to scrape kitt_requests_total during the run' },
  );
  assert.equal(live.metric.engine, 'embedded');
  assert.equal(live.metric.mode, 'embedded');
  assert.ok(run.exitCode === null, 'the series was seen while the run was in progress');
  const ttft = encodeURIComponent('kitt_request_ttft_seconds_count');
  const ttftBody = (await (await fetch(`${prometheus.url}/api/v1/query?query=${ttft}`)).json()) as PromResult;
  assert.ok(ttftBody.data.result.length > 0, 'the TTFT histogram is exported');

  const exit = await exitOf(run);
  assert.equal(exit.code, 0, run.output());
  const q = encodeURIComponent(`SELECT count(ttft_ms) FROM kitt_request WHERE run_id = '${live.metric.run_id}'`);
  const influxBody = (await (await fetch(`${influx.url}/query?db=kitt&q=${q}`)).json()) as {
    results: Array<{ series?: Array<{ values: Array<[string, number]> }> }>;
  };
  const requests = influxBody.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
  assert.ok(requests > 0, `InfluxDB has the run's requests: ${JSON.stringify(influxBody)}`);
  const runs = encodeURIComponent(`SELECT output_tokens_per_s FROM kitt_run WHERE run_id = '${live.metric.run_id}'`);
  const runBody = (await (await fetch(`${influx.url}/query?db=kitt&q=${runs}`)).json()) as {
    results: Array<{ series?: unknown[] }>;
  };
  assert.equal(runBody.results[0]?.series?.length, 1, 'one kitt_run point with the run summary');
});
