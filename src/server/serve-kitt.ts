import { join, resolve } from 'node:path';
import { openRunStore } from '../app/shared/open-run-store.js';
import type { KittConfig } from '../config/config-schema.js';
import { revealed, type Secret } from '../core/secret.js';
import { defaultStorePath } from '../store/open-store.js';
import { DEFAULT_MAX_UPLOAD_BYTES } from './api/upload-api.js';
import { createTokenVerifier } from './auth/api-tokens.js';
import { createAuthGate } from './auth/auth-gate.js';
import { createSessions } from './auth/sessions.js';
import { checkBindAllowed, isLoopbackHost } from './bind-policy.js';
import type { RetryPolicy } from './fleet/cell-queue.js';
import { type StartedFleet, startFleet } from './fleet/start-fleet.js';
import { listen, type StartedListener } from './http-listener.js';
import { liveHubOf } from './live/live-hub.js';
import { createServerApp } from './server-app.js';

export interface ServeKittOptions {
  readonly config: KittConfig;
  readonly home: string;
  /** Address to bind, as the caller chose it; anything but loopback needs an API token to exist. */
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly version: string;
  /** The results store to serve; default the config's store.url, else the SQLite file under the home. */
  readonly storeUrl?: string | Secret | undefined;
  /** Trust X-Forwarded-Proto (a TLS proxy in front), so session cookies are marked Secure. */
  readonly trustProxy?: boolean;
  /** The server's data folder, where pushed runs' files land (`<data>/runs/<id>/`); default `<home>/server`. */
  readonly dataDir?: string | undefined;
  /** The largest pushed file, decompressed; default 1 GiB. */
  readonly maxUploadBytes?: number | undefined;
  /** Seconds added to twice a cell's estimate to make a fleet job's lease; default 60. */
  readonly leaseMarginS?: number | undefined;
  /** Retries of a failed fleet cell and the seconds before the first (doubled each time); default 2 and 2. */
  readonly cellRetry?: RetryPolicy | undefined;
  /** Where sign-ins and write/admin actions are logged (with the token's name, never the token). */
  readonly log: (line: string) => void;
}

export interface StartedKittServer extends StartedListener {
  /** The store served, its password masked. */
  readonly storeLocation: string;
  /** The data folder pushed runs go to, absolute. */
  readonly dataDir: string;
  /** True while reads need no token (loopback and no token created), as printed at start. */
  readsOpen(): Promise<boolean>;
}

/**
 * kitt server as a composition root, like the CLI: it opens its own results store, wires the auth
 * gate, the API and the dashboard over it, and closes the store when it closes.
 */
export async function serveKitt(options: ServeKittOptions): Promise<StartedKittServer> {
  const storeUrl = options.storeUrl ?? options.config.store.url ?? defaultStorePath(options.home);
  const store = await openRunStore(storeUrl);
  let listener: StartedListener;
  let fleet: StartedFleet | undefined;
  const dataDir = resolve(options.dataDir ?? join(options.home, 'server'));
  const verify = createTokenVerifier(store);
  const sessions = createSessions();
  const gate = createAuthGate({
    tokens: store,
    verify,
    sessions,
    loopbackOnly: isLoopbackHost(options.host),
    log: options.log,
  });
  try {
    await checkBindAllowed(options.host, store);
    fleet = await startFleet(store, revealed(storeUrl), options);
    const app = createServerApp({
      store,
      gate,
      sessions,
      verify,
      version: options.version,
      trustProxy: options.trustProxy ?? false,
      log: options.log,
      upload: { dataDir, maxFileBytes: options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES },
      fleet: fleet?.fleet,
    });
    listener = await listen(app.fetch, options.host, options.port);
  } catch (error) {
    await fleet?.close();
    await store.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  const close = () => {
    liveHubOf(store).closeViewers();
    closing ??= listener
      .close()
      .then(() => fleet?.close())
      .finally(() => store.close());
    return closing;
  };
  return {
    url: listener.url,
    port: listener.port,
    storeLocation: store.location,
    dataDir,
    readsOpen: gate.readsAreOpen,
    close,
    [Symbol.asyncDispose]: close,
  };
}
