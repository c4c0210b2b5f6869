import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A server that answers as a recorded engine did: each fixture folder holds the engine's real
 * responses (SSE or NDJSON streams, /metrics text, /health, /v1/models, an error body) and a
 * `replay.json` that maps routes to them. Streams are replayed frame by frame with a gap between
 * frames, so a client sees tokens arrive over time and can cancel mid-stream.
 */
export interface ReplayManifest {
  /** Engine name as kitt's catalog spells it. */
  readonly engine: string;
  /** The model name the recording served (what requests carry). */
  readonly model: string;
  readonly routes: readonly ReplayRoute[];
  /** The answer to a request the engine refuses (a body that is not JSON). */
  readonly error: { readonly status: number; readonly file: string; readonly type?: string };
  /** Milliseconds between stream frames (no recording here kept its timing); default 10. */
  readonly gapMs?: number;
}

export interface ReplayRoute {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** Relative to the fixture folder; may be empty for an empty body (vLLM's /health). */
  readonly file?: string;
  readonly status?: number;
  readonly type?: string;
  /** Replayed frame by frame: SSE events (blank-line separated) or NDJSON lines. */
  readonly stream?: 'sse' | 'ndjson';
}

export interface ReplayServer {
  /** http://127.0.0.1:<port> */
  readonly baseUrl: string;
  readonly manifest: ReplayManifest;
  close(): Promise<void>;
}

interface LoadedRoute extends ReplayRoute {
  readonly frames: readonly Buffer[];
}

/** The frames of a recorded stream, each with its separator, as the engine wrote them. */
export function splitFrames(body: string, kind: 'sse' | 'ndjson'): Buffer[] {
  const separator = kind === 'sse' ? /(?<=\n\n)/ : /(?<=\n)/;
  return body
    .split(separator)
    .filter((frame) => frame.trim() !== '')
    .map((frame) => Buffer.from(frame));
}

function loadRoutes(folder: URL, manifest: ReplayManifest): LoadedRoute[] {
  return manifest.routes.map((route) => {
    const body = route.file ? readFileSync(new URL(route.file, folder), 'utf8') : '';
    return { ...route, frames: route.stream ? splitFrames(body, route.stream) : [Buffer.from(body)] };
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Starts a replay server for the fixture folder (a URL ending in `/`), on 127.0.0.1 and a free port. */
export async function startReplayServer(folder: URL): Promise<ReplayServer> {
  const manifest = JSON.parse(readFileSync(new URL('replay.json', folder), 'utf8')) as ReplayManifest;
  const routes = loadRoutes(folder, manifest);
  const errorBody = readFileSync(new URL(manifest.error.file, folder));
  const gapMs = manifest.gapMs ?? 10;

  const replay = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    const route = routes.find((r) => r.method === req.method && r.path === path);
    const body = req.method === 'POST' ? await readBody(req) : '';
    if (!route) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}');
      return;
    }
    if (req.method === 'POST' && !isJson(body)) {
      res.writeHead(manifest.error.status, { 'content-type': manifest.error.type ?? 'application/json' });
      res.end(errorBody);
      return;
    }
    res.writeHead(route.status ?? 200, { 'content-type': route.type ?? 'application/json' });
    if (!route.stream) {
      res.end(route.frames[0]);
      return;
    }
    for (const [index, frame] of route.frames.entries()) {
      if (index > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
      // the client went away (a cancel): stop, as an engine stops generating
      if (res.destroyed) return;
      res.write(frame);
    }
    res.end();
  };

  const server = createServer((req, res) => {
    replay(req, res).catch((error: unknown) => {
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    manifest,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The fixture folder of one engine's recordings: src/engines/fixtures/<engine>/. */
export function replayFixtures(engine: string): URL {
  return new URL(`../engines/fixtures/${engine}/`, import.meta.url);
}
