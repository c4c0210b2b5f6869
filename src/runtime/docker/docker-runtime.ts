import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { sleepMs } from '../../core/clock.js';
import type {
  ContainerInspection,
  ContainerRef,
  ContainerRuntime,
  ContainerSpec,
  ContainerState,
  ExitInfo,
  ManagedContainer,
  StatsSample,
  StopOptions,
} from '../container-runtime.js';
import { LABELS } from '../container-runtime.js';
import { currentOwner, formatOwner } from '../owner.js';
import { exitInfoFrom, inspectionFrom, limitsFromHostConfig, toCreateOptions } from './create-options.js';
import { demuxDockerLogs } from './demux-logs.js';
import { daemonMessage, imageMissingError, isUnreachable, statusOf, unreachableError } from './docker-errors.js';
import { type DockerStatsJson, parseDockerStats } from './parse-docker-stats.js';

const PING_TIMEOUT_MS = 2_000;
const DEFAULT_GRACE_MS = 10_000;

export interface DockerRuntimeOptions {
  /** Environment to read DOCKER_HOST from; defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** A client to use instead of one built from DOCKER_HOST (tests, custom TLS). */
  readonly client?: Docker;
  /** The kitt.owner label to write; defaults to this process (user@host:pid:startTime). */
  readonly ownerLabel?: string;
}

/** Builds a Docker client for DOCKER_HOST (unix://, tcp://, npipe://) or the default socket. */
export function createDockerRuntime(options: DockerRuntimeOptions = {}): DockerRuntime {
  const env = options.env ?? process.env;
  const endpoint = env.DOCKER_HOST && env.DOCKER_HOST.length > 0 ? env.DOCKER_HOST : 'unix:///var/run/docker.sock';
  const client = options.client ?? new (loadDockerode())(clientOptionsFor(endpoint));
  return new DockerRuntime(client, endpoint, options.ownerLabel ?? formatOwner(currentOwner()));
}

/**
 * dockerode (a CommonJS package) is required when a client is first built, not when this module
 * is imported: every command imports this adapter, and most never speak to Docker.
 */
function loadDockerode(): typeof Docker {
  return createRequire(import.meta.url)('dockerode') as typeof Docker;
}

function clientOptionsFor(endpoint: string): Docker.DockerOptions {
  if (endpoint.startsWith('unix://')) return { socketPath: endpoint.slice('unix://'.length) };
  if (endpoint.startsWith('npipe://')) return { socketPath: endpoint.slice('npipe://'.length) };
  const url = new URL(endpoint.replace(/^tcp:\/\//, 'http://'));
  return { host: url.hostname, port: Number(url.port || 2375), protocol: 'http' };
}

/** The container runtime over the Docker Engine API (dockerode); the only code that speaks it. */
export class DockerRuntime implements ContainerRuntime {
  constructor(
    private readonly docker: Docker,
    private readonly endpoint: string,
    private readonly ownerLabel: string,
  ) {}

  describeEndpoint(): string {
    return this.endpoint;
  }

  async ping(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('ping timed out')), PING_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.docker.ping(), timeout]);
    } catch (error) {
      throw unreachableError(this.endpoint, error);
    } finally {
      clearTimeout(timer);
    }
  }

  async imageExists(image: string): Promise<boolean> {
    try {
      await this.call(() => this.docker.getImage(image).inspect());
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw error;
    }
  }

  async pullImage(image: string): Promise<void> {
    const stream = await this.call(() => this.docker.pull(image) as Promise<Readable>);
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve()));
    });
  }

  async run(spec: ContainerSpec): Promise<ContainerRef> {
    let container: Docker.Container;
    try {
      container = await this.call(() => this.docker.createContainer(toCreateOptions(spec, this.ownerLabel)));
    } catch (error) {
      if (statusOf(error) === 404 && /no such image/i.test(daemonMessage(error))) {
        throw imageMissingError(spec.image, error);
      }
      throw error;
    }
    const ref = { id: container.id, name: spec.name };
    try {
      await this.call(() => container.start());
    } catch (error) {
      await this.remove(ref); // a created-but-unstartable container must not be left behind
      throw error;
    }
    return ref;
  }

  async inspect(ref: ContainerRef): Promise<ContainerInspection> {
    return inspectionFrom(await this.call(() => this.docker.getContainer(ref.id).inspect()));
  }

  async wait(ref: ContainerRef, signal?: AbortSignal): Promise<ExitInfo> {
    const container = this.docker.getContainer(ref.id);
    const result = (await this.call(() => container.wait(signal ? { abortSignal: signal } : {}))) as {
      StatusCode: number;
    };
    try {
      const inspection = await this.inspect(ref);
      if (inspection.exit && mayBeLateOom(inspection)) {
        // dockerd can handle a container's exit before the OOM event that caused it and set
        // OOMKilled a moment later (seen in CI: a memory-limited engine read "ended by SIGKILL")
        await sleepMs(LATE_OOM_MS);
        const again = await this.inspect(ref);
        if (again.exit) return again.exit;
      }
      if (inspection.exit) return inspection.exit;
    } catch (error) {
      if (statusOf(error) !== 404) throw error; // removed meanwhile: the wait result is all we have
    }
    return exitInfoFrom(result.StatusCode, false, {});
  }

  async logsTail(ref: ContainerRef, lines = 50): Promise<string> {
    const container = this.docker.getContainer(ref.id);
    const buffer = await this.call(
      () => container.logs({ stdout: true, stderr: true, tail: lines, follow: false }) as Promise<Buffer>,
    );
    return demuxDockerLogs(buffer);
  }

  async stop(ref: ContainerRef, options: StopOptions = {}): Promise<ExitInfo | undefined> {
    const container = this.docker.getContainer(ref.id);
    const seconds = Math.max(0, Math.ceil((options.graceMs ?? DEFAULT_GRACE_MS) / 1000));
    try {
      await this.call(() => container.stop({ t: seconds }));
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) return undefined; // already removed
      if (status !== 304) throw error; // 304: already stopped
    }
    try {
      return (await this.inspect(ref)).exit;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async remove(ref: ContainerRef): Promise<void> {
    try {
      await this.call(() => this.docker.getContainer(ref.id).remove({ force: true, v: true }));
    } catch (error) {
      const status = statusOf(error);
      // 404: gone already; 409: a removal is already in progress
      if (status !== 404 && status !== 409) throw error;
    }
  }

  async listManaged(labels: Readonly<Record<string, string>> = {}): Promise<ManagedContainer[]> {
    const filters = [`${LABELS.managed}=true`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)];
    const list = await this.call(() => this.docker.listContainers({ all: true, filters: { label: filters } }));
    return list.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
      image: c.Image,
      state: c.State as ContainerState,
      labels: c.Labels,
      createdAt: c.Created,
    }));
  }

  async *stats(ref: ContainerRef, signal?: AbortSignal): AsyncIterable<StatsSample> {
    if (signal?.aborted) return;
    const container = this.docker.getContainer(ref.id);
    const data = await this.call(() => container.inspect());
    const cpuLimitCores = limitsFromHostConfig(data.HostConfig).cpus;
    const controller = new AbortController();
    const abort = () => controller.abort();
    signal?.addEventListener('abort', abort, { once: true });
    let stream: Readable | undefined;
    try {
      // dockerode forwards abortSignal to the HTTP request; its typings do not list it
      const options = { stream: true, abortSignal: controller.signal } as { stream: true };
      stream = (await this.call(() => container.stats(options))) as unknown as Readable;
      for await (const line of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
        if (line.trim() === '') continue;
        const raw = JSON.parse(line) as DockerStatsJson;
        // A stopped container keeps streaming zeroed objects (read = year 1) instead of ending.
        if (raw.read?.startsWith('0001-')) return;
        const sample = parseDockerStats(raw, {
          atMs: performance.now(),
          cpuLimitCores,
        });
        if (sample) yield sample;
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    } finally {
      signal?.removeEventListener('abort', abort);
      controller.abort();
      stream?.destroy();
    }
  }

  /** Runs one API call; a transport failure becomes RUNTIME_UNREACHABLE, other errors pass through. */
  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (isUnreachable(error)) throw unreachableError(this.endpoint, error);
      throw error;
    }
  }
}

/** How long to wait for dockerd's OOM event after a memory-limited container died of SIGKILL. */
const LATE_OOM_MS = 300;

function mayBeLateOom(inspection: ContainerInspection): boolean {
  const exit = inspection.exit;
  return (
    exit !== undefined && exit.signal === 'SIGKILL' && !exit.oomKilled && inspection.limits.memoryBytes !== undefined
  );
}
