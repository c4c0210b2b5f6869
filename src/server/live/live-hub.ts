import type { LiveSnapshot } from '../../metrics/live-snapshot.js';
import type { Store } from '../../store/store-types.js';

export interface LiveHubOptions {
  /** Snapshots kept per run for a viewer that opens late (300 = five minutes at one a second). */
  readonly historyLimit?: number;
  /** How long a done run stays listed and replayable. Default 5 minutes. */
  readonly keepDoneMs?: number;
  /** A run that has not published for this long is taken as gone (its kitt was killed). Default 2 minutes. */
  readonly keepSilentMs?: number;
  /** Runs held at once; a new one evicts the one that published least recently. Default 200. */
  readonly maxRuns?: number;
  /** Viewers of one run at once. Default 100. */
  readonly maxSubscribersPerRun?: number;
  readonly nowMs?: () => number;
}

/** A viewer of one run: told each new snapshot, in order, and when the run went silent for good. */
export interface LiveListener {
  snapshot(snapshot: LiveSnapshot): void;
  gone(): void;
}

interface LiveRun {
  readonly history: LiveSnapshot[];
  readonly listeners: Set<LiveListener>;
  updatedAtMs: number;
  doneAtMs: number | null;
}

/** A run being published, as listed. */
export interface LiveRunInfo {
  readonly runId: string;
  readonly latest: LiveSnapshot;
  readonly updatedAt: string;
}

/**
 * The runs that publish their live snapshots to this server: per run the latest snapshots (at most
 * `historyLimit`) and the viewers listening. Memory is bounded: runs × history, runs ≤ maxRuns,
 * viewers ≤ maxSubscribersPerRun per run; done and silent runs are dropped on the next touch.
 */
export class LiveHub {
  readonly #runs = new Map<string, LiveRun>();
  readonly #historyLimit: number;
  readonly #keepDoneMs: number;
  readonly #keepSilentMs: number;
  readonly #maxRuns: number;
  readonly #maxSubscribers: number;
  readonly #now: () => number;

  constructor(options: LiveHubOptions = {}) {
    this.#historyLimit = options.historyLimit ?? 300;
    this.#keepDoneMs = options.keepDoneMs ?? 5 * 60_000;
    this.#keepSilentMs = options.keepSilentMs ?? 2 * 60_000;
    this.#maxRuns = options.maxRuns ?? 200;
    this.#maxSubscribers = options.maxSubscribersPerRun ?? 100;
    this.#now = options.nowMs ?? Date.now;
  }

  /** Keeps a run's snapshot and hands it to its viewers. A snapshot after `done` is ignored. */
  publish(runId: string, snapshot: LiveSnapshot): void {
    this.prune();
    let run = this.#runs.get(runId);
    if (run?.doneAtMs != null) return;
    if (!run) {
      if (this.#runs.size >= this.#maxRuns) this.#evictStalest();
      run = { history: [], listeners: new Set(), updatedAtMs: 0, doneAtMs: null };
      this.#runs.set(runId, run);
    }
    run.history.push(snapshot);
    if (run.history.length > this.#historyLimit) run.history.shift();
    run.updatedAtMs = this.#now();
    if (snapshot.done) run.doneAtMs = run.updatedAtMs;
    for (const listener of run.listeners) listener.snapshot(snapshot);
    if (snapshot.done) run.listeners.clear();
  }

  /**
   * The run's kept snapshots and, unless it is done, a subscription to the next ones; undefined
   * for a run that is not publishing. 'full' when the run has as many viewers as it may.
   */
  subscribe(
    runId: string,
    listener: LiveListener,
  ): { history: readonly LiveSnapshot[]; unsubscribe: () => void } | 'full' | undefined {
    this.prune();
    const run = this.#runs.get(runId);
    if (!run) return undefined;
    const history = [...run.history];
    if (run.doneAtMs !== null) return { history, unsubscribe: () => {} };
    if (run.listeners.size >= this.#maxSubscribers) return 'full';
    run.listeners.add(listener);
    return { history, unsubscribe: () => run.listeners.delete(listener) };
  }

  /** The runs held now, most recently updated first. */
  list(): LiveRunInfo[] {
    this.prune();
    return [...this.#runs.entries()]
      .map(([runId, run]) => ({ runId, run }))
      .filter(({ run }) => run.history.length > 0)
      .sort((a, b) => b.run.updatedAtMs - a.run.updatedAtMs)
      .map(({ runId, run }) => ({
        runId,
        latest: run.history.at(-1) as LiveSnapshot,
        updatedAt: new Date(run.updatedAtMs).toISOString(),
      }));
  }

  /** Whether the run has published here (and is not yet dropped). */
  holds(runId: string): boolean {
    return this.#runs.has(runId);
  }

  /** Viewers listening now, all runs together (for tests and the server's own accounting). */
  get subscribers(): number {
    let count = 0;
    for (const run of this.#runs.values()) count += run.listeners.size;
    return count;
  }

  /** Ends every viewer's stream (the server is closing: an open stream would hold its close). */
  closeViewers(): void {
    for (const run of this.#runs.values()) {
      for (const listener of run.listeners) listener.gone();
      run.listeners.clear();
    }
  }

  /** Drops the done runs past keepDoneMs and the silent ones past keepSilentMs, telling their viewers. */
  prune(): void {
    const now = this.#now();
    for (const [runId, run] of this.#runs) {
      const expired =
        run.doneAtMs !== null ? now - run.doneAtMs > this.#keepDoneMs : now - run.updatedAtMs > this.#keepSilentMs;
      if (!expired) continue;
      this.#runs.delete(runId);
      for (const listener of run.listeners) listener.gone();
    }
  }

  #evictStalest(): void {
    let stalest: string | undefined;
    let oldest = Number.POSITIVE_INFINITY;
    for (const [runId, run] of this.#runs) {
      if (run.updatedAtMs < oldest) {
        oldest = run.updatedAtMs;
        stalest = runId;
      }
    }
    const run = stalest === undefined ? undefined : this.#runs.get(stalest);
    if (stalest === undefined || !run) return;
    this.#runs.delete(stalest);
    for (const listener of run.listeners) listener.gone();
  }
}

/**
 * One hub per server. The API and the dashboard are built from the same options, whose store is
 * one object: the hub hangs on it, so neither needs a new option to share it.
 */
const hubs = new WeakMap<Store, LiveHub>();

export function liveHubOf(store: Store): LiveHub {
  let hub = hubs.get(store);
  if (!hub) {
    hub = new LiveHub();
    hubs.set(store, hub);
  }
  return hub;
}
