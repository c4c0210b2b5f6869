import { KittError } from '../../core/errors.js';

/** Status code of a daemon's HTTP error (dockerode puts it on the error); undefined for transport errors. */
export function statusOf(error: unknown): number | undefined {
  const code = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** The daemon's own message ("No such image: …"), without dockerode's "(HTTP code …)" prefix. */
export function daemonMessage(error: unknown): string {
  const json = (error as { json?: { message?: unknown } } | null)?.json;
  if (typeof json?.message === 'string') return json.message;
  return error instanceof Error ? error.message : String(error);
}

const TRANSPORT_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH']);

/** True when the error means nothing answered at the endpoint (as opposed to an answer we dislike). */
export function isUnreachable(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return (code !== undefined && TRANSPORT_CODES.has(code)) || (error as Error)?.message === 'ping timed out';
}

export function unreachableError(endpoint: string, cause: unknown): KittError {
  const code = (cause as NodeJS.ErrnoException | null)?.code;
  const why = code === 'EACCES' ? 'permission denied' : code === 'ENOENT' ? 'no socket' : (code ?? 'no answer');
  return new KittError('RUNTIME_UNREACHABLE', `cannot reach Docker at ${endpoint} (${why})`, {
    hint:
      code === 'EACCES'
        ? 'add your user to the docker group, or run kitt where it may open the socket'
        : 'start dockerd, set DOCKER_HOST to a running daemon, or mount /var/run/docker.sock into kitt’s container; or use --mode native',
    cause,
  });
}

export function imageMissingError(image: string, cause?: unknown): KittError {
  const hint = image.startsWith('kitt/llama-server')
    ? 'build it with scripts/build-llamacpp-image.sh'
    : image.startsWith('kitt/')
      ? 'build it with the script in scripts/ that names it (kitt images are never pulled)'
      : `pull it with --pull (or docker pull ${image})`;
  return new KittError('IMAGE_MISSING', `image ${image} is not present on the Docker host`, { hint, cause });
}
