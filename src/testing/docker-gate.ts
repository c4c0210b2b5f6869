import { request } from 'node:http';
import type { TestContext } from 'node:test';
import { LLAMACPP_CPU_IMAGE } from '../engines/llamacpp.js';
import { createDockerRuntime } from '../runtime/docker/docker-runtime.js';

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

/**
 * Gate for tests on the llama.cpp image: skips without Docker or without the image, and fails
 * instead under KITT_REQUIRE_DOCKER=1 (CI builds the image before the tests).
 *
 *   if (!(await llamaCppImageReady(t))) return;
 */
export async function llamaCppImageReady(t: TestContext): Promise<boolean> {
  if (await skipUnlessDocker(t)) return false;
  if (await createDockerRuntime().imageExists(LLAMACPP_CPU_IMAGE)) return true;
  if (process.env.KITT_REQUIRE_DOCKER === '1') {
    throw new Error(
      `${LLAMACPP_CPU_IMAGE} is missing: run scripts/build-llamacpp-image.sh (CI: scripts/ci/30-images.sh)`,
    );
  }
  t.skip(`${LLAMACPP_CPU_IMAGE} not built (scripts/build-llamacpp-image.sh)`);
  return false;
}
