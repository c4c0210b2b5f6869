import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeError, HTTP_STATUS, KittError } from '../core/errors.js';

/** A row of the runs page: an id and whatever fields the listing gives (app/run-listing's RunListing). */
export interface ListedRun {
  readonly id: string;
  readonly [field: string]: unknown;
}

/** Where the server reads runs from (serveWeb wires the results store); absent, /api/runs says so. */
export type ReadRuns = () => Promise<readonly ListedRun[]>;

export interface WebServerOptions {
  /** Address to bind; default 127.0.0.1, which keeps the dashboard on this machine. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly version: string;
  readonly readRuns?: ReadRuns;
}

export interface StartedWebServer extends AsyncDisposable {
  /** http://host:port, with the port actually bound. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting, ends idle keep-alive connections and resolves when closed. Idempotent. */
  close(): Promise<void>;
}

const STORE_MISSING = {
  code: 'STORE_UNAVAILABLE',
  message: 'no results store is wired into this server yet',
  hint: 'list runs with `kitt results` until the web server reads the store',
};

/** Starts kitt's web server: GET /health, GET /api/runs and a page listing runs at GET /. */
export async function startWebServer(options: WebServerOptions): Promise<StartedWebServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    route(req, res, options).catch((error: unknown) => sendError(res, error));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new KittError('PORT_IN_USE', `port ${options.port} on ${host} is in use`, {
              hint: 'pick another with --port, or stop what listens there',
            })
          : error,
      );
    });
    server.listen(options.port, host, () => resolve());
  });
  // The address really bound (a name such as localhost resolves to one), as the url says.
  const { port, address } = server.address() as AddressInfo;
  const hostForUrl = address.includes(':') ? `[${address}]` : address;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    return closing;
  };
  return { url: `http://${hostForUrl}:${port}`, port, close, [Symbol.asyncDispose]: close };
}

async function route(req: IncomingMessage, res: ServerResponse, options: WebServerOptions): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://kitt').pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendJson(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: `${req.method} is not served` } });
    return;
  }
  if (path === '/health') {
    sendJson(res, 200, { status: 'ok', version: options.version });
    return;
  }
  if (path === '/api/runs') {
    if (!options.readRuns) {
      sendJson(res, 503, { error: STORE_MISSING });
      return;
    }
    sendJson(res, 200, { runs: await options.readRuns() });
    return;
  }
  if (path === '/') {
    const runs = options.readRuns ? await options.readRuns() : undefined;
    send(res, 200, 'text/html; charset=utf-8', renderRunsPage(runs, options.version));
    return;
  }
  sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `nothing at ${path}` } });
}

function sendError(res: ServerResponse, error: unknown): void {
  const status = error instanceof KittError ? (HTTP_STATUS[error.code] ?? 500) : 500;
  const code = error instanceof KittError ? error.code : 'INTERNAL';
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { error: { code, message: describeError(error) } });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`);
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** The minimal dashboard: a table of runs with whatever fields the store gives, no scripts. */
export function renderRunsPage(runs: readonly ListedRun[] | undefined, version: string): string {
  let body: string;
  if (!runs) body = `<p>${escapeHtml(STORE_MISSING.message)}: ${escapeHtml(STORE_MISSING.hint)}.</p>`;
  else if (runs.length === 0) body = '<p>No runs yet: start one with <code>kitt run</code>.</p>';
  else {
    const columns = [...new Set(runs.flatMap((run) => Object.keys(run)))];
    const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
    const rows = runs
      .map((run) => `<tr>${columns.map((c) => `<td>${escapeHtml(formatCell(run[c]))}</td>`).join('')}</tr>`)
      .join('\n');
    body = `<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${rows}\n</tbody>\n</table>`;
  }
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>kitt runs</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}</style>
</head>
<body>
<h1>kitt runs</h1>
${body}
<footer><p>kitt ${escapeHtml(version)}</p></footer>
</body>
</html>
`;
}

function formatCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
