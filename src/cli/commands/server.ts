import type { Command } from 'commander';
import { openRunStore } from '../../app/shared/open-run-store.js';
import { loadConfig } from '../../config/load-config.js';
import { KittError } from '../../core/errors.js';
import { Secret } from '../../core/secret.js';
import { readBytes, SIZE_EXAMPLES } from '../../core/units.js';
import { createApiToken, describeToken, revokeApiToken, TOKEN_SCOPES } from '../../server/auth/api-tokens.js';
import { defaultStorePath } from '../../store/open-store.js';
import type { ApiTokenScope, Store } from '../../store/store-types.js';
import type { CliContext } from '../cli-context.js';
import { plainTable } from '../plain-table.js';
import { readPackageVersion } from '../version.js';

interface ServerFlags {
  port: string;
  host: string;
  store?: string;
  trustProxy?: boolean;
  config?: string;
  data?: string;
  maxUpload?: string;
  leaseMargin?: string;
  cellRetries: string;
  cellRetryDelay: string;
}

interface StoreFlags {
  store?: string;
  config?: string;
}

async function openServedStore(context: CliContext, flags: StoreFlags): Promise<Store> {
  const { config, home } = loadConfig({ env: context.env, explicitPath: flags.config });
  return openRunStore(flags.store ? Secret.url(flags.store) : (config.store.url ?? defaultStorePath(home)));
}

/** `kitt server` (alias `kitt web`): the dashboard and /api/v1 until SIGINT/SIGTERM, and its tokens. */
export function registerServerCommand(program: Command, context: CliContext): void {
  const server = program
    .command('server')
    .alias('web')
    .description('serve the dashboard and the REST API (/api/v1) over the results store')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '8080')
    .option('--host <address>', 'address to bind; anything but loopback needs an API token to exist', '127.0.0.1')
    .option('--store <url>', 'results store to serve: a SQLite path or postgres://… (default: the config store.url)')
    .option('--data <dir>', "where pushed runs' files go, as <dir>/runs/<id>/ (default: KITT_HOME/server)")
    .option('--max-upload <size>', 'largest pushed file once decompressed, e.g. 512m or 4g', '1g')
    .option('--lease-margin <seconds>', "seconds added to twice a fleet cell's estimate to make its job's lease", '60')
    .option('--cell-retries <n>', 'times a failed fleet cell is run again before it is dead', '2')
    .option('--cell-retry-delay <seconds>', 'seconds before the first retry of a fleet cell, doubled each time', '2')
    .option('--trust-proxy', 'trust X-Forwarded-Proto from a TLS proxy in front (marks session cookies Secure)')
    .option('--config <path>', 'config file (its store.url says which results store to serve)')
    .addHelpText(
      'after',
      `
On loopback with no API token created, reads are open to this machine. Once a token exists, every
request needs one (Authorization: Bearer …, or the dashboard's sign-in); binding any other address
is refused until one exists. See docs/server.md.

Examples:
  kitt server                                         # http://127.0.0.1:8080
  kitt server token create --name ci --scope write    # prints the token once
  kitt server --host 0.0.0.0 --port 8080 --store postgres://kitt@db/kitt
  kitt server --host 0.0.0.0 --data /srv/kitt        # pushed runs in /srv/kitt/runs/<id>/
  curl -H "Authorization: Bearer $KITT_TOKEN" http://127.0.0.1:8080/api/v1/runs?engine=llamacpp`,
    )
    .action(async (flags: ServerFlags) => {
      const loaded = loadConfig({ env: context.env, explicitPath: flags.config });
      // The HTTP framework, the API schemas and the job queue load only when a server starts.
      const { serveKitt } = await import('../../server/serve-kitt.js');
      const started = await serveKitt({
        config: loaded.config,
        home: loaded.home,
        host: flags.host,
        port: parsePort(flags.port),
        version: readPackageVersion(),
        storeUrl: flags.store ? Secret.url(flags.store) : undefined,
        trustProxy: flags.trustProxy ?? false,
        dataDir: flags.data,
        maxUploadBytes: parseMaxUpload(flags.maxUpload ?? '1g'),
        leaseMarginS: parseLeaseMargin(flags.leaseMargin ?? '60'),
        cellRetry: {
          retryLimit: parseWhole('--cell-retries', flags.cellRetries, 0, 'e.g. --cell-retries 2'),
          retryDelayS: parseWhole('--cell-retry-delay', flags.cellRetryDelay, 1, 'e.g. --cell-retry-delay 2'),
        },
        log: (line) => context.stderr.write(`[kitt server] ${line}\n`),
      });
      context.onClose(() => started.close());
      const access = (await started.readsOpen())
        ? 'reads open on loopback until a token is created'
        : 'API tokens required';
      context.stdout.write(
        `kitt server listening on ${started.url} (store ${started.storeLocation}; ${access}; pushed runs in ${started.dataDir})\n`,
      );
      await untilAborted(context.signal);
      await started.close();
    });

  // --store and --config are kitt server's own options, read from it (optsWithGlobals): a
  // subcommand declaring them again would never see them, as commander gives them to the parent
  const token = server
    .command('token')
    .description('API tokens of the store kitt server serves (--store, --config as for it): create, list, revoke');
  token
    .command('create')
    .description('create an API token and print it once (only its scrypt hash is stored)')
    .requiredOption('--name <name>', 'who or what holds it (logged with every write it makes)')
    .option('--scope <scope>', `read, write or admin (each grants the ones before it)`, 'read')
    .action(async (_flags: unknown, command: Command) => {
      const flags = command.optsWithGlobals<StoreFlags & { name: string; scope: string }>();
      if (!(TOKEN_SCOPES as readonly string[]).includes(flags.scope)) {
        throw new KittError('USAGE', `--scope ${flags.scope} is not a scope`, { hint: 'use read, write or admin' });
      }
      await using store = await openServedStore(context, flags);
      const created = await createApiToken(store, { name: flags.name, scope: flags.scope as ApiTokenScope });
      context.stdout.write(`${created.token}\n`);
      context.stderr.write(
        `token ${created.info.name} (${created.info.id}, scope ${created.info.scope}) created; it is shown this once\n`,
      );
    });
  token
    .command('list')
    .description('list the API tokens (never their secrets)')
    .option('--json', 'print JSON')
    .action(async (_flags: unknown, command: Command) => {
      const flags = command.optsWithGlobals<StoreFlags & { json?: boolean }>();
      await using store = await openServedStore(context, flags);
      const tokens = (await store.listApiTokens()).map(describeToken);
      if (flags.json) {
        context.stdout.write(`${JSON.stringify(tokens, null, 2)}\n`);
        return;
      }
      if (tokens.length === 0) {
        context.stdout.write('no API tokens (kitt server token create makes one)\n');
        return;
      }
      const rows = tokens.map((t) => [t.name, t.id, t.scope, t.createdAt, t.lastUsedAt ?? '-', t.revokedAt ?? '-']);
      context.stdout.write(`${plainTable([['name', 'id', 'scope', 'created', 'last used', 'revoked'], ...rows])}\n`);
    });
  token
    .command('revoke <name-or-id>')
    .description('revoke a token: it stops working at its next request, and its dashboard sessions end')
    .action(async (nameOrId: string, _flags: unknown, command: Command) => {
      await using store = await openServedStore(context, command.optsWithGlobals<StoreFlags>());
      const revoked = await revokeApiToken(store, nameOrId);
      context.stdout.write(`token ${revoked.name} (${revoked.id}) revoked at ${revoked.revokedAt}\n`);
    });
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new KittError('USAGE', `--port ${text} is not a port`, { hint: 'pass a number from 0 to 65535' });
  }
  return port;
}

function parseMaxUpload(text: string): number {
  const bytes = readBytes(text);
  if (bytes === undefined || bytes < 1) {
    throw new KittError('USAGE', `--max-upload ${text} is not a size`, { hint: `write e.g. ${SIZE_EXAMPLES}` });
  }
  return bytes;
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

function parseWhole(flag: string, text: string, min: number, example: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    throw new KittError('USAGE', `${flag} ${text} is not a whole number of at least ${min}`, { hint: example });
  }
  return value;
}

function parseLeaseMargin(text: string): number {
  const seconds = Number(text);
  if (!Number.isInteger(seconds) || seconds < 1) {
    throw new KittError('USAGE', `--lease-margin ${text} is not a whole number of seconds`, {
      hint: 'e.g. --lease-margin 60',
    });
  }
  return seconds;
}
