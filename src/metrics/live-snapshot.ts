import { quantileOfSorted } from './bootstrap.js';
import type { RequestRecord } from './request-record.js';

/** The container reading a live view shows: a structural part of the runtime's StatsSample. */
export interface LiveContainerSample {
  /** Monotonic ms, the same clock as the records. */
  readonly atMs: number;
  readonly cpuPercentOfLimit: number;
  readonly memoryBytes: number;
  readonly memoryLimitBytes: number;
}

/** How a run stands now: what `kitt run` publishes about once a second while it runs. */
export interface LiveSnapshot {
  readonly runId: string;
  /** 1, 2, 3, … per snapshot of a run: the order a viewer shows them in. */
  readonly seq: number;
  /** The latest phase the run reported ("starting embedded", a stage's label, "stopping …"). */
  readonly phase: string;
  /** The load's stage (a sweep's level), once the load started. */
  readonly stage: { readonly index: number; readonly count: number; readonly label: string } | null;
  /** Seconds since the load started; 0 before. */
  readonly elapsedS: number;
  /** How long the load is planned to send, when the run says so in seconds. */
  readonly plannedDurationS: number | null;
  /** Requests finished without error, and with one (dropped and aborted count as failed). */
  readonly completed: number;
  readonly failed: number;
  /** Requests sent and not yet finished; null when the run's progress does not say. */
  readonly inFlight: number | null;
  /** The rolling window the next figures cover, in seconds. */
  readonly windowS: number;
  readonly requestsPerS: number;
  readonly outputTokensPerS: number;
  /** TTFT percentiles of the window's requests that had a first token; null when none did. */
  readonly ttftP50Ms: number | null;
  readonly ttftP99Ms: number | null;
  /** The latest container reading; null when the engine is not sampled (native, --target). */
  readonly container: {
    readonly cpuPercentOfLimit: number;
    readonly memoryBytes: number;
    readonly memoryLimitBytes: number;
    /** Seconds since the reading. */
    readonly ageS: number;
  } | null;
  readonly done: boolean;
  /** The run's final status, on the last snapshot only. */
  readonly status?: string;
}

export interface LiveWindowOptions {
  readonly runId: string;
  /** Monotonic now, in ms (injected: the window is pure). */
  readonly nowMs: () => number;
  readonly plannedDurationS?: number | null;
  /** Default 10 s. */
  readonly windowMs?: number;
  /**
   * Most records kept (default 4,096): above capacity/window (410 req/s at the defaults) the
   * rates come from the kept records' own span and TTFT from the latest `capacity` requests.
   */
  readonly capacity?: number;
}

/**
 * A rolling window over a run's finished requests: a ring of the latest records' end time, TTFT
 * and output tokens (three typed arrays, so memory is fixed whatever the run's length), plus the
 * counts since the start. Over the window W: requests/s = (records with end > now − W) / W,
 * output tokens/s = (their output tokens) / W, TTFT percentiles by quantileOfSorted (definition 7).
 */
export class LiveWindow {
  readonly #options: LiveWindowOptions;
  readonly #windowMs: number;
  readonly #endMs: Float64Array;
  readonly #ttftMs: Float64Array;
  readonly #outputTokens: Float64Array;
  #next = 0;
  #kept = 0;
  #completed = 0;
  #failed = 0;
  #inFlight: number | null = null;
  #phase = 'starting';
  #stage: LiveSnapshot['stage'] = null;
  #loadStartMs: number | null = null;
  #plannedDurationS: number | null;
  #container: LiveContainerSample | null = null;
  #seq = 0;

  constructor(options: LiveWindowOptions) {
    this.#options = options;
    this.#windowMs = options.windowMs ?? 10_000;
    const capacity = options.capacity ?? 4_096;
    this.#endMs = new Float64Array(capacity);
    this.#ttftMs = new Float64Array(capacity);
    this.#outputTokens = new Float64Array(capacity);
    this.#plannedDurationS = options.plannedDurationS ?? null;
  }

  observeRecord(record: RequestRecord): void {
    if (record.error) this.#failed++;
    else this.#completed++;
    this.#loadStartMs ??= record.scheduledAtMs;
    const ttft =
      record.firstContentAtMs === null || record.sentAtMs === null
        ? Number.NaN
        : record.firstContentAtMs - record.sentAtMs;
    const slot = this.#next;
    this.#endMs[slot] = record.endAtMs;
    this.#ttftMs[slot] = ttft;
    this.#outputTokens[slot] = record.outputTokens;
    this.#next = (slot + 1) % this.#endMs.length;
    this.#kept = Math.min(this.#kept + 1, this.#endMs.length);
  }

  observeContainer(sample: LiveContainerSample): void {
    this.#container = sample;
  }

  observePhase(name: string): void {
    this.#phase = name;
  }

  /** A load stage began; the first one starts the load's clock. */
  observeStage(stage: NonNullable<LiveSnapshot['stage']>, atMs: number, durationS: number | null): void {
    this.#stage = stage;
    this.#phase = stage.label;
    this.#loadStartMs ??= atMs;
    if (this.#plannedDurationS === null && stage.count === 1 && durationS !== null) this.#plannedDurationS = durationS;
  }

  observeInFlight(inFlight: number): void {
    this.#inFlight = inFlight;
  }

  snapshot(final?: { status: string }): LiveSnapshot {
    const now = this.#options.nowMs();
    const figures = this.#windowFigures(now);
    const container = this.#container;
    return {
      runId: this.#options.runId,
      seq: ++this.#seq,
      phase: final ? final.status : this.#phase,
      stage: this.#stage,
      elapsedS: this.#loadStartMs === null ? 0 : Math.max(0, (now - this.#loadStartMs) / 1000),
      plannedDurationS: this.#plannedDurationS,
      completed: this.#completed,
      failed: this.#failed,
      inFlight: final ? 0 : this.#inFlight,
      windowS: this.#windowMs / 1000,
      ...figures,
      container: container
        ? {
            cpuPercentOfLimit: container.cpuPercentOfLimit,
            memoryBytes: container.memoryBytes,
            memoryLimitBytes: container.memoryLimitBytes,
            ageS: Math.max(0, (now - container.atMs) / 1000),
          }
        : null,
      done: final !== undefined,
      ...(final ? { status: final.status } : {}),
    };
  }

  /** Rates and TTFT percentiles over the records that ended within the window before `now`. */
  #windowFigures(now: number): Pick<LiveSnapshot, 'requestsPerS' | 'outputTokensPerS' | 'ttftP50Ms' | 'ttftP99Ms'> {
    const cutoff = now - this.#windowMs;
    const ttfts: number[] = [];
    let count = 0;
    let tokens = 0;
    let earliestEndMs = now;
    for (let slot = 0; slot < this.#kept; slot++) {
      const endMs = this.#endMs[slot] as number;
      if (endMs <= cutoff) continue;
      count++;
      tokens += this.#outputTokens[slot] as number;
      if (endMs < earliestEndMs) earliestEndMs = endMs;
      const ttft = this.#ttftMs[slot] as number;
      if (!Number.isNaN(ttft)) ttfts.push(ttft);
    }
    if (count === 0) return { requestsPerS: 0, outputTokensPerS: 0, ttftP50Ms: null, ttftP99Ms: null };
    // a full ring all inside the window holds only its latest part: the rate over the span it holds;
    // in the load's first seconds the window is as long as the load so far, not yet W
    const loadSoFarMs = this.#loadStartMs === null ? this.#windowMs : now - this.#loadStartMs;
    const spanMs =
      count === this.#endMs.length
        ? Math.max(1, now - earliestEndMs)
        : Math.max(1, Math.min(this.#windowMs, loadSoFarMs));
    ttfts.sort((a, b) => a - b);
    return {
      requestsPerS: (count * 1000) / spanMs,
      outputTokensPerS: (tokens * 1000) / spanMs,
      ttftP50Ms: ttfts.length > 0 ? quantileOfSorted(ttfts, 0.5) : null,
      ttftP99Ms: ttfts.length > 0 ? quantileOfSorted(ttfts, 0.99) : null,
    };
  }
}
