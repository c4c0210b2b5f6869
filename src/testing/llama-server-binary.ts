import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/**
 * llama-server as a host binary: on PATH, or the one scripts/build-llamacpp-image.sh compiled into
 * kitt's build cache (CI builds it there before the tests).
 */
export function findLlamaServer(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'llama-server'))) return join(dir, 'llama-server');
  }
  const cache = process.env.KITT_CACHE ?? join(homedir(), '.cache', 'kitt');
  const builds = existsSync(cache) ? readdirSync(cache).filter((name) => name.startsWith('llama-server-')) : [];
  return builds.map((name) => join(cache, name, 'llama-server')).find((path) => existsSync(path));
}

/** The binary, or a skip (a failure in CI, where scripts/ci/30-images.sh must have built it). */
export function requireLlamaServer(t: TestContext): string | undefined {
  const binary = findLlamaServer();
  if (binary) return binary;
  if (process.env.CI === 'true')
    throw new Error('llama-server is missing: scripts/ci/30-images.sh builds it into the kitt cache');
  t.skip('no llama-server binary (run scripts/build-llamacpp-image.sh)');
  return undefined;
}
