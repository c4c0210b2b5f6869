import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { KittError } from '../../core/errors.js';
import type { Progress } from '../../core/progress.js';
import { listBuildContext, packBuildContext } from './build-context.js';

export interface BuildKittImageOptions {
  /** Folder holding the Dockerfile and the sources (a kitt checkout). */
  readonly contextDir: string;
  /** Dockerfile path relative to contextDir. */
  readonly dockerfile: string;
  readonly tag: string;
  /** Overrides the Dockerfile's NODE_IMAGE build argument (its base image). */
  readonly baseImage?: string;
  /** Network of the build's RUN steps; 'host' reaches package mirrors where the daemon has no bridge. */
  readonly network: string;
  readonly noCache: boolean;
  readonly progress: Progress;
  /** Every line of the build output (the CLI passes one under --debug). */
  readonly onOutput?: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface BuiltKittImage {
  readonly tag: string;
  readonly id: string;
  /** Docker's names: amd64, arm64. */
  readonly architecture: string;
  readonly sizeBytes: number;
  readonly durationMs: number;
}

/** One JSON object of the build stream (legacy builder). */
interface BuildEvent {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/**
 * Builds kitt's image on the daemon, natively for the daemon's architecture (no platform is forced,
 * so an arm64 host gets an arm64 image from the same Dockerfile), and tags it. Each Dockerfile
 * step is reported through `progress` as the build stream announces it.
 */
export async function buildKittImage(docker: Docker, options: BuildKittImageOptions): Promise<BuiltKittImage> {
  if (!existsSync(join(options.contextDir, options.dockerfile))) {
    throw new KittError('USAGE', `no ${options.dockerfile} in ${options.contextDir}`, {
      hint: 'run from a kitt checkout or pass --context DIR (and --file PATH) naming one',
    });
  }
  const startedAt = performance.now();
  await docker.ping().catch((cause: unknown) => {
    throw new KittError('RUNTIME_UNREACHABLE', 'the Docker daemon does not answer', {
      hint: 'start Docker or set DOCKER_HOST; as non-root, join the socket group',
      cause,
    });
  });
  const files = listBuildContext(options.contextDir, options.dockerfile);
  options.progress.phase(`building ${options.tag} from ${files.length} context files`);
  const stream = (await docker.buildImage(packBuildContext(options.contextDir, files), {
    t: options.tag,
    dockerfile: options.dockerfile,
    networkmode: options.network,
    nocache: options.noCache,
    rm: true,
    forcerm: true,
    ...(options.baseImage ? { buildargs: { NODE_IMAGE: options.baseImage } } : {}),
    abortSignal: options.signal,
  })) as Readable;
  const id = await followBuild(stream, options.progress, options.onOutput);
  const image = await docker.getImage(options.tag).inspect();
  const durationMs = performance.now() - startedAt;
  options.progress.end(`${options.tag} ${image.Architecture} in ${Math.round(durationMs / 1000)} s`);
  return { tag: options.tag, id: id ?? image.Id, architecture: image.Architecture, sizeBytes: image.Size, durationMs };
}

/** Reads the newline-delimited JSON build stream; rejects with the builder's own error line. */
function followBuild(
  stream: Readable,
  progress: Progress,
  onOutput: ((line: string) => void) | undefined,
): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let id: string | undefined;
    let failure: string | undefined;
    let buffered = '';
    let steps = 0;
    const lastLines: string[] = [];
    const onEvent = (event: BuildEvent) => {
      if (event.error || event.errorDetail) failure = event.errorDetail?.message ?? event.error;
      if (event.aux?.ID) id = event.aux.ID;
      const text = (event.stream ?? event.status ?? '').trimEnd();
      if (!text) return;
      for (const line of text.split('\n')) {
        onOutput?.(line);
        lastLines.push(line);
        if (lastLines.length > 10) lastLines.shift();
        // "Step 3/21 : RUN npm ci": one progress line per Dockerfile instruction
        const step = /^Step (\d+)\/(\d+) : (.*)$/.exec(line);
        if (step) {
          steps = Number(step[1]);
          progress.update(steps, `${step[1]}/${step[2]} ${step[3]}`);
          progress.info(`step ${step[1]}/${step[2]}: ${step[3]}`);
        }
      }
    };
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line) onEvent(JSON.parse(line) as BuildEvent);
        newline = buffered.indexOf('\n');
      }
    });
    stream.on('error', (cause) => reject(buildFailed(cause.message, lastLines, cause)));
    stream.on('end', () => {
      if (buffered.trim()) onEvent(JSON.parse(buffered) as BuildEvent);
      if (failure) reject(buildFailed(failure, lastLines));
      else resolve(id);
    });
  });
}

function buildFailed(message: string, lastLines: readonly string[], cause?: unknown): KittError {
  return new KittError('IMAGE_BUILD_FAILED', `image build failed: ${message.trim()}`, {
    hint: 'rerun with --debug for the build output; check network access to the Debian and npm mirrors',
    details: { lastLines },
    ...(cause === undefined ? {} : { cause }),
  });
}
