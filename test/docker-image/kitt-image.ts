import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The images scripts/ci/50-kitt-image.sh builds for these tests. */
export const KITT_IMAGE = 'kitt:ci';
export const KITT_WEB_IMAGE = 'kitt-web:ci';
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const PACKAGE_VERSION = (JSON.parse(readFileSync(`${REPO_ROOT}package.json`, 'utf8')) as { version: string })
  .version;

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the docker CLI; never throws on a non-zero exit, so tests can assert on the code. */
export async function docker(args: readonly string[], timeoutMs = 60_000): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)('docker', [...args], {
      timeout: timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : 1,
      stdout: failed.stdout ?? '',
      stderr: failed.stderr ?? String(error),
    };
  }
}

/**
 * True (test skipped) when the image was not built. In CI (KITT_REQUIRE_DOCKER=1) a missing image
 * fails the test instead: scripts/ci/50-kitt-image.sh must have built it.
 */
export async function skipUnlessImage(t: TestContext, image: string): Promise<boolean> {
  if ((await docker(['image', 'inspect', image])).code === 0) return false;
  const fix = `build it with: bash scripts/ci/50-kitt-image.sh`;
  if (process.env.KITT_REQUIRE_DOCKER === '1') throw new Error(`image ${image} is missing; ${fix}`);
  t.skip(`${image} not built (${fix})`);
  return true;
}

/** The group owning the daemon's socket: `--group-add` it to use the socket as the non-root user. */
export function socketGroup(socketPath = '/var/run/docker.sock'): string {
  return String(statSync(socketPath).gid);
}
