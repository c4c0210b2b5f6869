import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { shortId } from '../core/ids.js';
import type { ContainerLimits, ContainerSpec } from '../runtime/container-runtime.js';

export const TEST_HOG_IMAGE = 'kitt/test-hog';

const script = fileURLToPath(new URL('../../scripts/build-test-hog-image.sh', import.meta.url));
let built: Promise<unknown> | undefined;

/** Builds kitt/test-hog once per test process when it is missing (a static binary; under a second). */
export function ensureTestHogImage(): Promise<unknown> {
  built ??= promisify(execFile)('bash', [script], { timeout: 120_000 });
  return built;
}

/**
 * A spec for the hog: `args` as for docker/test-hog/hog.c (`--mem MiB`, `--spin N`, `--seconds N`),
 * labelled with the test's run id so leftovers can be found and asserted absent.
 */
export function hogSpec(
  runId: string,
  args: readonly string[],
  limits: ContainerLimits = {},
  extra: Partial<ContainerSpec> = {},
): ContainerSpec {
  return {
    name: `kitt-test-hog-${shortId(4)}`,
    image: TEST_HOG_IMAGE,
    cmd: [...args],
    env: {},
    labels: { 'kitt.run-id': runId, 'kitt.engine': 'test-hog' },
    mounts: [],
    network: 'host',
    limits,
    ...extra,
  };
}
