import { monotonicClock } from '../../core/clock.js';
import type { LoadProgressEvent, Progress } from '../../core/progress.js';
import type { LoadSpec } from '../../load/load-spec.js';
import { LiveWindow } from '../../metrics/live-snapshot.js';
import type { RequestRecord } from '../../metrics/request-record.js';
import type { StatsSample } from '../../runtime/container-runtime.js';
import { type LivePublisherCounts, startLivePublisher } from './live-publisher.js';

/** A run's live view: fed from where the run already feeds its Prometheus series. */
export interface LiveFeed {
  observeRecord(record: RequestRecord): void;
  observeContainer(sample: StatsSample): void;
  /** `progress`, with its phases and load events also told to the live view. */
  tap(progress: Progress): Progress;
  /** Sends the final snapshot with the run's status; never throws. */
  finish(status: string): Promise<LivePublisherCounts>;
}

export interface LiveFeedOptions {
  readonly url: string;
  readonly token: string | undefined;
  readonly runId: string;
  readonly load: LoadSpec;
  readonly warn: (line: string) => void;
  readonly intervalMs?: number;
}

/** Starts publishing the run's snapshot to a kitt server (docs/server.md, "Live runs"). */
export function startLiveFeed(options: LiveFeedOptions): LiveFeed {
  const window = new LiveWindow({
    runId: options.runId,
    nowMs: () => monotonicClock.nowMs(),
    plannedDurationS: plannedDurationS(options.load),
  });
  const publisher = startLivePublisher({
    url: options.url,
    token: options.token,
    runId: options.runId,
    snapshot: (final) => window.snapshot(final),
    warn: options.warn,
    ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
  });
  let finished: Promise<LivePublisherCounts> | undefined;
  return {
    observeRecord: (record) => window.observeRecord(record),
    observeContainer: (sample) => window.observeContainer(sample),
    tap: (progress) => tapProgress(progress, window),
    finish: (status) => {
      finished ??= publisher.stop({ status });
      return finished;
    },
  };
}

/**
 * The same Progress, with every phase and load event also told to the window. `load` is only
 * there when the inner Progress has it: the load reports as phase/update/end to one without.
 */
function tapProgress(inner: Progress, window: LiveWindow): Progress {
  const tapped: Progress = {
    phase: (name, total) => {
      window.observePhase(name);
      inner.phase(name, total);
    },
    update: (done, detail) => inner.update(done, detail),
    info: (message) => inner.info(message),
    warn: (message) => inner.warn(message),
    end: (detail) => inner.end(detail),
  };
  const innerLoad = inner.load?.bind(inner);
  if (!innerLoad) return tapped;
  return {
    ...tapped,
    load: (event: LoadProgressEvent) => {
      if (event.kind === 'stage-start') {
        window.observeStage(
          { index: event.stage, count: event.stages, label: event.label },
          event.atMs,
          event.durationS,
        );
      } else if (event.kind === 'request-done') {
        window.observeInFlight(event.inFlight);
      }
      innerLoad(event);
    },
  };
}

/** Seconds the load plans to send (warmup, measure and cooldown, every sweep level), when given in seconds. */
export function plannedDurationS(load: LoadSpec): number | null {
  if (load.durationS === undefined) return null;
  const phases = (load.warmup?.durationS ?? 0) + load.durationS + (load.cooldown?.durationS ?? 0);
  return load.kind === 'sweep' ? phases * load.levels.length : phases;
}
