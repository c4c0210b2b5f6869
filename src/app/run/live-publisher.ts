import { requestBounded } from '../../core/bounded-request.js';
import { redactUrl } from '../../core/secret.js';
import type { LiveSnapshot } from '../../metrics/live-snapshot.js';

export interface LivePublisherOptions {
  /** The kitt server's base URL (`http://host:8080`); snapshots go to /api/v1/runs/{id}/live. */
  readonly url: string;
  /** A write-scope token (KITT_SERVER_TOKEN); sent as a bearer header, never logged. */
  readonly token: string | undefined;
  readonly runId: string;
  /** The snapshot of now, taken on each tick. */
  readonly snapshot: (final?: { status: string }) => LiveSnapshot;
  /** One line, at most once per publisher: the first snapshot the server did not take. */
  readonly warn: (line: string) => void;
  /** Default 1,000 ms. */
  readonly intervalMs?: number;
  /**
   * The most one POST may take, from the send to the answer's last byte. Default 5,000 ms: the
   * run never waits for it, and a server's first check of a token (scrypt) is slow on a busy host.
   */
  readonly deadlineMs?: number;
  /** What the run's end waits, at most, for a POST still in flight and then for the final one. Default 1,000 ms. */
  readonly finalDeadlineMs?: number;
}

/** What a publisher did, for its owner and its tests. */
export interface LivePublisherCounts {
  readonly sent: number;
  /** Ticks that found the previous POST still in flight: that snapshot was never taken. */
  readonly skipped: number;
  readonly failed: number;
}

export interface LivePublisher {
  /**
   * Stops the ticks, waits a moment for a POST in flight, then sends the final snapshot (`done:
   * true`): at most 2 × finalDeadlineMs (2 s) when the server hangs, at once when it refuses. A
   * POST that was still in flight may land after the final one; the server ignores it then.
   */
  stop(final: { status: string }): Promise<LivePublisherCounts>;
  readonly counts: LivePublisherCounts;
}

/**
 * POSTs the run's snapshot once a second. It never slows or fails the run: at most one request is
 * in flight (a tick that finds one skips its snapshot), every request has a short deadline, and
 * a server that is down or refuses costs a single warning line, then silence.
 */
export function startLivePublisher(options: LivePublisherOptions): LivePublisher {
  const endpoint = `${options.url.replace(/\/+$/, '')}/api/v1/runs/${encodeURIComponent(options.runId)}/live`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const counts = { sent: 0, skipped: 0, failed: 0 };
  let warned = false;
  let inFlight: Promise<void> | null = null;

  const post = async (snapshot: LiveSnapshot, deadlineMs: number): Promise<void> => {
    try {
      const response = await requestBounded(endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify(snapshot),
        deadlineMs,
        maxBytes: 16 * 1024,
      });
      if (response.statusCode >= 300) throw new Error(refusal(response.statusCode, response.body));
      counts.sent++;
    } catch (error) {
      counts.failed++;
      if (warned) return;
      warned = true;
      const reason = redactUrl(error instanceof Error ? error.message : String(error));
      options.warn(`live view: ${redactUrl(endpoint)} did not take the run's snapshot (${reason}); the run goes on`);
    }
  };

  const tick = () => {
    if (inFlight) {
      counts.skipped++;
      return;
    }
    inFlight = post(options.snapshot(), options.deadlineMs ?? 5_000).finally(() => {
      inFlight = null;
    });
  };
  const timer = setInterval(tick, options.intervalMs ?? 1_000);
  // the ticks never keep a finished run's process alive
  timer.unref();
  tick();

  return {
    counts,
    stop: async (final) => {
      clearInterval(timer);
      const finalDeadlineMs = options.finalDeadlineMs ?? 1_000;
      if (inFlight) await settledWithin(inFlight, finalDeadlineMs);
      await post(options.snapshot(final), finalDeadlineMs);
      return { ...counts };
    },
  };
}

/** Waits for `promise` (which never rejects) at most `ms`. */
async function settledWithin(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** The server's own one-line reason (its error shape has `message`), or the status alone. */
function refusal(status: number, body: Buffer): string {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { error?: { message?: unknown }; message?: unknown };
    const message = parsed.error?.message ?? parsed.message;
    if (typeof message === 'string') return `${status}: ${message.slice(0, 200)}`;
  } catch {
    // not JSON: the status says enough
  }
  return `HTTP ${status}`;
}
