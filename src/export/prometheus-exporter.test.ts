import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { test } from 'node:test';
import { startPrometheus } from '../testing/external-services.js';
import { waitFor } from '../testing/free-port.js';
import { RunMetricsExporter, serveMetrics } from './prometheus-exporter.js';

const run = { engine: 'llamacpp', model: 'tiny', runId: 'r1', mode: 'docker' };

function exporterWithTraffic(): RunMetricsExporter {
  const exporter = new RunMetricsExporter(run, '0.0.0-test');
  exporter.observeRequest({
    outcome: 'ok',
    ttftMs: 12,
    tpotMs: 3,
    e2eMs: 60,
    queueMs: 0,
    outputTokens: 16,
    promptTokens: 8,
  });
  exporter.observeRequest({
    outcome: 'ok',
    ttftMs: 20,
    tpotMs: 4,
    e2eMs: 80,
    queueMs: 1,
    outputTokens: 16,
    promptTokens: 8,
  });
  exporter.observeRequest({ outcome: 'error', errorKind: 'timeout', outputTokens: 0, promptTokens: 0 });
  exporter.observeContainer({
    cpuPercentOfLimit: 85,
    memoryBytes: 100e6,
    memoryLimitBytes: 1e9,
    throttledTimeMs: 1500,
    pids: 7,
  });
  return exporter;
}

test('exposition counts requests by outcome and tokens, with run labels', async () => {
  const text = await exporterWithTraffic().metricsText();
  assert.match(text, /kitt_requests_total\{engine="llamacpp",model="tiny",run_id="r1",mode="docker",outcome="ok"\} 2/);
  assert.match(text, /kitt_request_errors_total\{[^}]*kind="timeout"\} 1/);
  assert.match(text, /kitt_output_tokens_total\{[^}]*\} 32/);
  assert.match(text, /kitt_request_ttft_seconds_count\{[^}]*\} 2/);
  assert.match(text, /kitt_container_cpu_ratio\{[^}]*\} 0\.85/);
  assert.match(text, /kitt_container_cpu_throttled_seconds_total\{[^}]*\} 1\.5/);
});

test('throttled time grows only by the difference between cumulative samples', async () => {
  const exporter = exporterWithTraffic();
  const sample = { cpuPercentOfLimit: 80, memoryBytes: 1, memoryLimitBytes: 2, throttledTimeMs: 2500, pids: 7 };
  // the same cumulative reading twice: the second adds nothing
  exporter.observeContainer(sample);
  exporter.observeContainer(sample);
  assert.match(await exporter.metricsText(), /kitt_container_cpu_throttled_seconds_total\{[^}]*\} 2\.5/);
});

test('a port already taken gives PORT_IN_USE naming the setting', async (t) => {
  const exporter = exporterWithTraffic();
  const first = await serveMetrics(exporter, { port: 0, host: '127.0.0.1' });
  t.after(() => first.close());
  await assert.rejects(
    serveMetrics(exporter, { port: first.port, host: '127.0.0.1' }),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, 'PORT_IN_USE');
      assert.match(error.message, /in use/);
      return true;
    },
  );
});

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

test('live metrics bind loopback unless told otherwise, and say where they really bind', async (t) => {
  const exporter = exporterWithTraffic();
  const server = await serveMetrics(exporter, { port: 0 });
  t.after(() => server.close());
  assert.equal(server.host, '127.0.0.1');
  assert.equal(server.url, `http://127.0.0.1:${server.port}/metrics`);
  assert.equal(await accepts('127.0.0.1', server.port), true);
  const outside = Object.values(networkInterfaces())
    .flat()
    .find((a) => a !== undefined && !a.internal && a.family === 'IPv4');
  if (outside) assert.equal(await accepts(outside.address, server.port), false, `reachable on ${outside.address}`);

  const everywhere = await serveMetrics(exporter, { port: 0, host: '0.0.0.0' });
  t.after(() => everywhere.close());
  assert.equal(everywhere.url, `http://0.0.0.0:${everywhere.port}/metrics`);
  if (outside) assert.equal(await accepts(outside.address, everywhere.port), true);
});

test('an address that is not this machine’s is a usage error naming the setting', async () => {
  await assert.rejects(
    serveMetrics(exporterWithTraffic(), { port: 0, host: '192.0.2.123' }),
    (error: Error & { code?: string; hint?: string }) => {
      assert.equal(error.code, 'USAGE');
      assert.match(error.hint ?? '', /--prometheus-host/);
      return true;
    },
  );
});

test('a real Prometheus scrapes kitt and its query API returns kitt series', async (t) => {
  const exporter = exporterWithTraffic();
  const server = await serveMetrics(exporter, { port: 0, host: '127.0.0.1' });
  t.after(() => server.close());
  const prometheus = await startPrometheus(t, `127.0.0.1:${server.port}`);
  if (!prometheus) return;
  const query = `${prometheus.url}/api/v1/query?query=${encodeURIComponent('kitt_requests_total{outcome="ok"}')}`;
  const result = await waitFor(
    async () => {
      const body = (await (await fetch(query)).json()) as {
        data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
      };
      return body.data.result.length > 0 ? body.data.result : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 500, what: 'Prometheus to return kitt_requests_total' },
  );
  assert.equal(result[0]!.metric.engine, 'llamacpp');
  assert.equal(result[0]!.metric.run_id, 'r1');
  assert.equal(result[0]!.value[1], '2');
});
