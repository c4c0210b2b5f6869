/**
 * The container runtime port. Everything outside `runtime/docker/` speaks these types only; the
 * Docker adapter translates them to the Engine API. Pass a runtime in; there is no singleton.
 */

/**
 * Hard limits for one container. Field names match `ResourceLimits` in engines/engine.ts on purpose
 * (engines may not be imported from here), so an engine request's limits pass through unchanged.
 */
export interface ContainerLimits {
  /** cgroup memory limit; the kernel OOM-kills the container above it. */
  readonly memoryBytes?: number;
  /** Memory + swap. Defaults to memoryBytes when only memory is set (no swap), as kitt measures RAM. */
  readonly memorySwapBytes?: number;
  /** CPU quota in cores (0.5 = half a core of CFS time per period). */
  readonly cpus?: number;
  readonly pids?: number;
  /** 'all', or GPU indices; undefined requests no GPU. */
  readonly gpus?: 'all' | readonly number[];
}

/** A host path bind-mounted into the container, or a named volume kept between runs. */
export interface ContainerMount {
  readonly type: 'bind' | 'volume';
  /** Host path (bind; as the daemon's host sees it) or volume name (volume). */
  readonly source: string;
  /** Path inside the container. */
  readonly target: string;
  readonly readOnly: boolean;
}

/** Everything needed to create and start one container. */
export interface ContainerSpec {
  /** Must be unique on the daemon; see containerName in engines or uniqueContainerName here. */
  readonly name: string;
  readonly image: string;
  readonly cmd: readonly string[];
  readonly entrypoint?: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** kitt.managed=true and kitt.owner are added by the adapter when missing. */
  readonly labels: Readonly<Record<string, string>>;
  readonly mounts: readonly ContainerMount[];
  /** Only host networking: engines bind host ports directly and kitt reaches them on 127.0.0.1. */
  readonly network: 'host';
  readonly limits: ContainerLimits;
  readonly shmSizeBytes?: number;
  /** `uid[:gid]` or a user name known to the image. */
  readonly user?: string;
  readonly workingDir?: string;
}

export interface ContainerRef {
  readonly id: string;
  readonly name: string;
}

/** How a container (or process) ended. */
export interface ExitInfo {
  /** null when it was ended by a signal that left no code (native processes). */
  readonly exitCode: number | null;
  /** e.g. 'SIGKILL'; containers report 128+n exit codes, translated here when recognisable. */
  readonly signal: string | null;
  /** The kernel's OOM killer ended it because the memory limit was hit. */
  readonly oomKilled: boolean;
  /** One line for people: "OOM-killed at the 64 MiB memory limit", "exited with code 1". */
  readonly reason: string;
}

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/** What the daemon says about one container, in our terms; `limits` is what the kernel enforces. */
export interface ContainerInspection extends ContainerRef {
  readonly image: string;
  readonly state: ContainerState;
  readonly labels: Readonly<Record<string, string>>;
  readonly limits: ContainerLimits;
  readonly networkMode: string;
  readonly mounts: readonly ContainerMount[];
  /** Present once the container has stopped. */
  readonly exit?: ExitInfo;
  /** Host pid of the container's init process while running. */
  readonly pid?: number;
  readonly startedAt?: string;
}

/** A kitt-labelled container as listed by the daemon. */
export interface ManagedContainer extends ContainerRef {
  readonly image: string;
  readonly state: ContainerState;
  readonly labels: Readonly<Record<string, string>>;
  /** Unix seconds. */
  readonly createdAt: number;
}

/** One resource reading of a container or process. */
export interface StatsSample {
  /** Monotonic ms (performance.now() timebase) when kitt received the reading. */
  readonly atMs: number;
  /** CPU used as % of the CPU limit (100 = the whole --cpus budget); of the host when unlimited. */
  readonly cpuPercentOfLimit: number;
  /** CPU used as % of all host CPUs (100 = every core busy). */
  readonly cpuPercentOfHost: number;
  /** CPU used in cores (1.0 = one core busy for the whole interval; `docker stats` shows this × 100). */
  readonly cpuCores: number;
  /** CFS periods in which the quota ran out, since the previous sample. */
  readonly throttledPeriods: number;
  /** Time spent throttled since the previous sample. */
  readonly throttledTimeMs: number;
  /** Memory in use, page cache that can be reclaimed excluded (what `docker stats` shows). */
  readonly memoryBytes: number;
  /** The memory limit; the host's memory when unlimited. */
  readonly memoryLimitBytes: number;
  readonly pids: number;
  /** Totals since the container started (host networking: the host's interfaces are not counted). */
  readonly netRxBytes: number;
  readonly netTxBytes: number;
}

export interface StopOptions {
  /** Time between SIGTERM and SIGKILL. Default 10 s. */
  readonly graceMs?: number;
}

/** The container runtime kitt drives. Every call that names a container takes a ContainerRef. */
export interface ContainerRuntime {
  /** Where the daemon is, for messages ("unix:///var/run/docker.sock"). */
  describeEndpoint(): string;
  /** Resolves when the daemon answers; throws KittError RUNTIME_UNREACHABLE otherwise. */
  ping(): Promise<void>;
  imageExists(image: string): Promise<boolean>;
  /** Pulls from a registry; only called when a person asked for it (--pull). */
  pullImage(image: string): Promise<void>;
  /** Creates and starts the container. Throws IMAGE_MISSING when the image is not local. */
  run(spec: ContainerSpec): Promise<ContainerRef>;
  inspect(ref: ContainerRef): Promise<ContainerInspection>;
  /** Resolves when the container stops, with exit code and OOM flag. */
  wait(ref: ContainerRef, signal?: AbortSignal): Promise<ExitInfo>;
  /** Last `lines` lines of stdout and stderr together. */
  logsTail(ref: ContainerRef, lines?: number): Promise<string>;
  /**
   * SIGTERM, then SIGKILL after the grace period. Idempotent: stopping a stopped or removed
   * container is not an error. Returns how it ended, or undefined when it no longer exists.
   */
  stop(ref: ContainerRef, options?: StopOptions): Promise<ExitInfo | undefined>;
  /** Removes the container (forcibly, with its anonymous volumes). Idempotent. */
  remove(ref: ContainerRef): Promise<void>;
  /** Containers labelled kitt.managed=true that also carry every given label. */
  listManaged(labels?: Readonly<Record<string, string>>): Promise<ManagedContainer[]>;
  /** Readings about once a second until the container stops or `signal` aborts. */
  stats(ref: ContainerRef, signal?: AbortSignal): AsyncIterable<StatsSample>;
}

/** Labels on everything kitt starts; reaping and prune select on them. */
export const LABELS = {
  managed: 'kitt.managed',
  runId: 'kitt.run-id',
  engine: 'kitt.engine',
  owner: 'kitt.owner',
} as const;
