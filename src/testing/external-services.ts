import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { freePort, waitFor } from './free-port.js';

/**
 * Real Prometheus and InfluxDB 1.x servers from Debian's packages, each in a temporary folder on a
 * loopback port, stopped and removed when the test ends. Missing binaries skip the test locally
 * and fail it in CI, where .ci/run installs them.
 */
export interface RunningService {
  readonly url: string;
  stop(): Promise<void>;
}

function requireBinary(t: TestContext, path: string, pkg: string): boolean {
  if (existsSync(path)) return true;
  if (process.env.CI === 'true') throw new Error(`${path} is missing: .ci/run must apt-get install ${pkg}`);
  t.skip(`${path} not installed (apt-get install ${pkg})`);
  return false;
}

function stopProcess(child: ChildProcess, dir: string): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      rmSync(dir, { recursive: true, force: true });
      resolve();
    };
    if (child.exitCode !== null || child.signalCode !== null) return done();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill('SIGTERM');
  });
}

export async function startPrometheus(
  t: TestContext,
  scrapeTarget: string,
  scrapeIntervalS = 1,
): Promise<RunningService | undefined> {
  if (!requireBinary(t, '/usr/bin/prometheus', 'prometheus')) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'kitt-prom-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: ${scrapeIntervalS}s\nscrape_configs:\n  - job_name: kitt\n    static_configs:\n      - targets: ['${scrapeTarget}']\n`,
  );
  const child = spawn(
    '/usr/bin/prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  const service = { url: `http://127.0.0.1:${port}`, stop: () => stopProcess(child, dir) };
  t.after(() => service.stop());
  await waitFor(async () => ((await fetch(`${service.url}/-/ready`)).ok ? true : undefined), {
    timeoutMs: 30_000,
    what: 'Prometheus to be ready',
  });
  return service;
}

export async function startInfluxDb1(t: TestContext): Promise<RunningService | undefined> {
  if (!requireBinary(t, '/usr/bin/influxd', 'influxdb')) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'kitt-influx-'));
  const port = await freePort();
  const rpcPort = await freePort();
  writeFileSync(
    join(dir, 'influxdb.conf'),
    [
      'reporting-disabled = true',
      `bind-address = "127.0.0.1:${rpcPort}"`,
      '[meta]',
      `  dir = "${join(dir, 'meta')}"`,
      '[data]',
      `  dir = "${join(dir, 'data')}"`,
      `  wal-dir = "${join(dir, 'wal')}"`,
      '[http]',
      `  bind-address = "127.0.0.1:${port}"`,
      '  log-enabled = false',
      '[monitor]',
      '  store-enabled = false',
    ].join('\n'),
  );
  const child = spawn('/usr/bin/influxd', ['-config', join(dir, 'influxdb.conf')], { stdio: 'ignore' });
  const service = { url: `http://127.0.0.1:${port}`, stop: () => stopProcess(child, dir) };
  t.after(() => service.stop());
  await waitFor(async () => ((await fetch(`${service.url}/ping`)).status === 204 ? true : undefined), {
    timeoutMs: 30_000,
    what: 'InfluxDB to answer /ping',
  });
  return service;
}
