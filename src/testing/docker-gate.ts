import { request } from 'node:http';
import type { TestContext } from 'node:test';

const PING_TIMEOUT_MS = 2_000;

/** Where the daemon listens: DOCKER_HOST (unix:// or tcp://) or the default socket. */
function daemonAddress(): { socketPath: string } | { host: string; port: number } {
  const dockerHost = process.env.DOCKER_HOST;
  if (!dockerHost) return { socketPath: '/var/run/docker.sock' };
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) };
  const url = new URL(dockerHost.replace(/^tcp:\/\//, 'http://'));
  return { host: url.hostname, port: Number(url.port || 2375) };
}

/** True when the daemon answers GET /_ping with 200 within two seconds. */
export function pingDocker(timeoutMs = PING_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ ...daemonAddress(), path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

let cached: Promise<boolean> | undefined;

/**
 * Gate for tier-2 tests: returns true (and marks the test skipped) when no Docker daemon answers.
 * With KITT_REQUIRE_DOCKER=1, as in CI, a missing daemon fails the test instead of skipping it.
 *
 *   if (await skipUnlessDocker(t)) return;
 */
export async function skipUnlessDocker(t: TestContext): Promise<boolean> {
  cached ??= pingDocker();
  if (await cached) return false;
  if (process.env.KITT_REQUIRE_DOCKER === '1') {
    throw new Error(
      `Docker is required in CI (KITT_REQUIRE_DOCKER=1) but no daemon answered at ${process.env.DOCKER_HOST ?? '/var/run/docker.sock'}`,
    );
  }
  t.skip('no Docker daemon');
  return true;
}
