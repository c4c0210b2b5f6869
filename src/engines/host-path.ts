import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { KittError } from '../core/errors.js';

/** One mount of kitt's own container: where it comes from on the host and where it appears inside. */
export interface OwnMount {
  readonly source: string;
  readonly destination: string;
}

/**
 * kitt's own container id when it runs inside Docker, read from /proc/self/mountinfo: Docker
 * bind-mounts the container's hostname, hosts and resolv.conf from
 * `/var/lib/docker/containers/<64-hex id>/`, so that path names the container (cgroup v2 hides it
 * from /proc/self/cgroup). Undefined when not in a Docker container.
 */
export function ownContainerIdFromMountinfo(mountinfo: string): string | undefined {
  const match = /\/containers\/([0-9a-f]{64})\/(?:hostname|hosts|resolv\.conf)/.exec(mountinfo);
  return match?.[1];
}

/** Reads /proc/self/mountinfo (absent outside Linux: not in a container). */
export async function detectOwnContainerId(mountinfoPath = '/proc/self/mountinfo'): Promise<string | undefined> {
  try {
    return ownContainerIdFromMountinfo(await readFile(mountinfoPath, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The host path of a path inside kitt's container. Engine containers are siblings on the host's
 * daemon, which resolves bind sources on the host: a model at /models/x inside kitt (mounted from
 * /srv/models) must be handed over as /srv/models/x, the bug in KITT's README. The longest mount
 * destination containing the path wins; a path on no mount lives only in kitt's container layer,
 * which the daemon cannot mount.
 */
export function translateToHostPath(path: string, mounts: readonly OwnMount[]): string {
  const normalized = posix.normalize(path);
  const covering = mounts
    .filter((m) => normalized === m.destination || normalized.startsWith(`${m.destination.replace(/\/$/, '')}/`))
    .sort((a, b) => b.destination.length - a.destination.length)[0];
  if (!covering) {
    throw new KittError(
      'MODEL_NOT_FOUND',
      `model ${path} is inside kitt's container, on no mount the Docker host can see`,
      {
        hint: 'mount the model folder into kitt with -v HOST_DIR:HOST_DIR (same path on both sides) and pass -m HOST_DIR/...',
      },
    );
  }
  const rest = posix.relative(covering.destination, normalized);
  return rest === '' ? covering.source : posix.join(covering.source, rest);
}
