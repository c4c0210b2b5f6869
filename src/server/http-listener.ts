import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { KittError } from '../core/errors.js';

export interface StartedListener extends AsyncDisposable {
  /** http://host:port, with the address and port actually bound. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting, ends idle keep-alive connections and resolves when closed. Idempotent. */
  close(): Promise<void>;
}

/** Headers (request line included) over this are answered 431 by Node before any route runs. */
const MAX_HEADER_BYTES = 16 * 1024;

/** Listens with a fetch handler (Hono's) on host:port; a port in use is a PORT_IN_USE error naming --port. */
export async function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  host: string,
  port: number,
): Promise<StartedListener> {
  const server = createAdaptorServer({
    fetch,
    serverOptions: { maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 60_000, headersTimeout: 15_000 },
  }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new KittError('PORT_IN_USE', `port ${port} on ${host} is in use`, {
              hint: 'pick another with --port, or stop what listens there',
            })
          : error,
      );
    });
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  const hostForUrl = bound.address.includes(':') ? `[${bound.address}]` : bound.address;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    return closing;
  };
  return { url: `http://${hostForUrl}:${bound.port}`, port: bound.port, close, [Symbol.asyncDispose]: close };
}
