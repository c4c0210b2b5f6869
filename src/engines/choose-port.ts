import { createServer } from 'node:net';
import { KittError } from '../core/errors.js';
import { claimPort, releasePort } from './port-reservation.js';

/** Tries to bind 127.0.0.1:port: the only proof that an engine will be able to. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the OS just handed out on 127.0.0.1 (free a moment ago). */
export function osAssignedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * The port an engine gets: --port when given (preflight then insists it is free), else the
 * engine's usual port when free, else one the OS assigns, so a second run beside a first does not
 * fail on a port it never asked for.
 */
export async function choosePort(
  requested: number | undefined,
  defaultPort: number,
  free: (port: number) => Promise<boolean> = isPortFree,
): Promise<number> {
  // an engine that binds a free port itself (the embedded one) is left to do so
  if (requested === undefined && defaultPort === 0) return 0;
  if (requested !== undefined) {
    if (!claimPort(requested)) {
      throw new KittError('PORT_IN_USE', `port ${requested} is in use by another kitt run`, {
        hint: 'pick another with --port, or leave --port out to get a free one',
      });
    }
    return requested;
  }
  if (claimPort(defaultPort) && (await free(defaultPort))) return defaultPort;
  releasePort(defaultPort);
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await osAssignedPort();
    if (claimPort(port)) return port;
  }
  return osAssignedPort();
}
