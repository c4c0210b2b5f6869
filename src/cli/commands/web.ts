import type { Command } from 'commander';
import { loadConfig } from '../../config/load-config.js';
import { KittError } from '../../core/errors.js';
import { serveWeb } from '../../web/serve-web.js';
import type { CliContext } from '../cli-context.js';
import { readPackageVersion } from '../version.js';

interface WebFlags {
  port: string;
  host: string;
  config?: string;
}

/** `kitt web`: serves the dashboard and its API until SIGINT/SIGTERM. */
export function registerWebCommand(program: Command, context: CliContext): void {
  program
    .command('web')
    .description('serve the web dashboard: GET /health, GET /api/runs and a page listing runs')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '8080')
    .option('--host <address>', 'address to bind (0.0.0.0 to serve other machines, as in a container)', '127.0.0.1')
    .option('--config <path>', 'config file (its store.url says which results store to read)')
    .action(async (flags: WebFlags) => {
      const loaded = loadConfig({ env: context.env, explicitPath: flags.config });
      const server = await serveWeb({
        config: loaded.config,
        home: loaded.home,
        host: flags.host,
        port: parsePort(flags.port),
        version: readPackageVersion(),
      });
      context.onClose(() => server.close());
      context.stdout.write(`kitt web listening on ${server.url}\n`);
      await untilAborted(context.signal);
      await server.close();
    });
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new KittError('USAGE', `--port ${text} is not a port`, { hint: 'pass a number from 0 to 65535' });
  }
  return port;
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
