import { listRuns, toRunListing } from '../app/shared/run-listing.js';
import type { KittConfig } from '../config/config-schema.js';
import { defaultStorePath, openStore } from '../store/open-store.js';
import { type StartedWebServer, startWebServer } from './web-server.js';

export interface ServeWebOptions {
  readonly config: KittConfig;
  readonly home: string;
  /** Address to bind, as the caller chose it. */
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly version: string;
}

/** How many runs the list shows: the newest, as `kitt results list` does. */
const LISTED_RUNS = 100;

/**
 * kitt's web server as a composition root, like the CLI: it opens its own results store, serves
 * the same use cases `kitt results` calls, and closes the store when it closes.
 */
export async function serveWeb(options: ServeWebOptions): Promise<StartedWebServer> {
  const store = await openStore(options.config.store.url ?? defaultStorePath(options.home));
  let server: StartedWebServer;
  try {
    server = await startWebServer({
      host: options.host,
      port: options.port,
      version: options.version,
      readRuns: async () => (await listRuns(store, { limit: LISTED_RUNS })).map(toRunListing),
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= server.close().finally(() => store.close());
    return closing;
  };
  return { url: server.url, port: server.port, close, [Symbol.asyncDispose]: close };
}
