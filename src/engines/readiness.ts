import { setTimeout as sleep } from 'node:timers/promises';
import { requestBounded } from '../core/bounded-request.js';
import { KittError } from '../core/errors.js';
import type { EngineExit } from './engine.js';

/** What a strategy may look at while it waits: a signal that ends the wait, and the engine's log. */
export interface ReadinessProbe {
  /** Aborted when the wait ends for any reason (ready elsewhere, exit, timeout, cancel). */
  readonly signal: AbortSignal;
  /** The last lines of the engine's log. */
  logTail(lines: number): Promise<string>;
}

/**
 * One condition of readiness. `check` resolves once the condition holds and otherwise keeps
 * trying until the probe's signal aborts; it rejects only with a KittError of its own (its own
 * timeout) or when aborted.
 */
export interface ReadinessStrategy {
  /** What it waits for, for messages: `200 from http://127.0.0.1:8080/health`. */
  readonly description: string;
  check(probe: ReadinessProbe): Promise<void>;
}

/** Options every strategy takes: how often it looks, and an optional budget of its own. */
export interface PollOptions {
  readonly intervalMs?: number;
  /** This strategy's own budget; the overall wait has one too. */
  readonly timeoutMs?: number;
}

export interface HttpReadinessOptions extends PollOptions {
  /** The status that means ready; default exactly 200 (a 503 while a model loads is not ready). */
  readonly expectStatus?: number;
  /** The body must match too, e.g. /"status":\s*"ok"/. */
  readonly bodyMatch?: RegExp;
  /** Per-probe deadline for the whole answer (a health body is capped at 64 KiB); default 2 s. */
  readonly probeTimeoutMs?: number;
}

const DEFAULT_INTERVAL_MS = 100;
const MAX_INTERVAL_MS = 1_000;

/** Repeats `attempt` with backoff until it says true, honouring the strategy's own timeout. */
async function poll(
  description: string,
  probe: ReadinessProbe,
  options: PollOptions,
  attempt: (signal: AbortSignal) => Promise<boolean>,
): Promise<void> {
  const deadline = options.timeoutMs === undefined ? Infinity : performance.now() + options.timeoutMs;
  let delayMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  for (;;) {
    probe.signal.throwIfAborted();
    if (await attempt(probe.signal)) return;
    if (performance.now() >= deadline) {
      throw new KittError('ENGINE_NOT_READY', `no ${description} within ${formatSeconds(options.timeoutMs ?? 0)}`, {
        hint: 'give the engine longer to start, or read its log lines',
      });
    }
    await sleep(Math.min(delayMs, Math.max(0, deadline - performance.now())), undefined, { signal: probe.signal });
    if (options.intervalMs === undefined) delayMs = Math.min(delayMs * 2, MAX_INTERVAL_MS);
  }
}

/**
 * Ready when `url` answers exactly `expectStatus` (200 by default) and, when given, a body that
 * matches `bodyMatch`. Refused connections and other statuses mean "not yet". KITT took any status
 * below 500 as healthy, which let a 404 or a loading page through.
 */
export function forHttp(url: string, options: HttpReadinessOptions = {}): ReadinessStrategy {
  const expectStatus = options.expectStatus ?? 200;
  const probeTimeoutMs = options.probeTimeoutMs ?? 2_000;
  const description = `${expectStatus} from ${url}${options.bodyMatch ? ` with a body matching ${options.bodyMatch}` : ''}`;
  return {
    description,
    check: (probe) =>
      poll(description, probe, options, async (signal) => {
        try {
          const response = await requestBounded(url, { signal, deadlineMs: probeTimeoutMs, maxBytes: 64 * 1024 });
          return response.statusCode === expectStatus && (options.bodyMatch?.test(response.body.toString()) ?? true);
        } catch (error) {
          if (signal.aborted) throw error;
          return false;
        }
      }),
  };
}

/** How many log lines forLog reads each time it looks. */
const LOG_SCAN_LINES = 1_000;

/** Ready once a line of the engine's log matches `pattern` (e.g. /server is listening/). */
export function forLog(pattern: RegExp, options: PollOptions = {}): ReadinessStrategy {
  const description = `log line matching ${pattern}`;
  return {
    description,
    check: (probe) =>
      poll(description, probe, options, async () => {
        const text = await probe.logTail(LOG_SCAN_LINES).catch(() => '');
        return text.split('\n').some((line) => pattern.test(line));
      }),
  };
}

/** Ready when every strategy is; they wait side by side, and the first failure fails the whole. */
export function forAll(...strategies: readonly ReadinessStrategy[]): ReadinessStrategy {
  return {
    description: strategies.map((strategy) => strategy.description).join(' and '),
    async check(probe) {
      await Promise.all(strategies.map((strategy) => strategy.check(probe)));
    },
  };
}

export interface WaitUntilReadyOptions {
  readonly timeoutMs: number;
  /** Resolves when the engine ends; the wait fails at once with ENGINE_EXITED when it does. */
  readonly exited: Promise<EngineExit | undefined>;
  /** The last lines of the engine's log; errors carry them. */
  logTail(lines: number): Promise<string>;
  /** Cancels the wait; it rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
  /** Name for messages; default "the engine". */
  readonly engine?: string;
  /** Log lines an error carries; default 20. */
  readonly tailLines?: number;
}

function formatSeconds(ms: number): string {
  return ms < 1_000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

/** `exit code 1`, `signal SIGKILL`, or the reason when neither is known. */
export function describeExit(exit: EngineExit | undefined): string {
  if (!exit) return 'it is gone';
  if (exit.oomKilled) return 'OOM-killed';
  if (exit.exitCode !== null) return `exit code ${exit.exitCode}`;
  if (exit.signal !== null) return `signal ${exit.signal}`;
  return exit.reason;
}

async function withLogTail(options: WaitUntilReadyOptions): Promise<{ tail: string; suffix: string }> {
  const tail = (await options.logTail(options.tailLines ?? 20).catch(() => '')).trimEnd();
  return { tail, suffix: tail === '' ? '' : `\n--- last log lines ---\n${tail}` };
}

type Outcome = { kind: 'ready' } | { kind: 'exited'; exit: EngineExit | undefined } | { kind: 'timeout' };

/**
 * Waits until `strategy` holds. Fails early with ENGINE_EXITED (exit code and last log lines) when
 * the engine ends first, with ENGINE_NOT_READY when `timeoutMs` passes, and with the signal's
 * reason when cancelled. Every probe still in flight is aborted before it returns.
 */
export async function waitUntilReady(strategy: ReadinessStrategy, options: WaitUntilReadyOptions): Promise<void> {
  const engine = options.engine ?? 'the engine';
  const done = new AbortController();
  const cancel = () => done.abort(options.signal?.reason);
  if (options.signal?.aborted) throw options.signal.reason;
  options.signal?.addEventListener('abort', cancel, { once: true });
  let timer: NodeJS.Timeout | undefined;
  try {
    const outcome = await Promise.race<Outcome>([
      strategy.check({ signal: done.signal, logTail: options.logTail }).then(() => ({ kind: 'ready' })),
      options.exited.then((exit) => ({ kind: 'exited', exit })),
      new Promise<Outcome>((resolve) => {
        timer = setTimeout(() => resolve({ kind: 'timeout' }), options.timeoutMs);
      }),
      new Promise<never>((_, reject) => {
        done.signal.addEventListener('abort', () => reject(done.signal.reason), { once: true });
      }),
    ]);
    if (outcome.kind === 'ready') return;
    const { tail, suffix } = await withLogTail(options);
    if (outcome.kind === 'exited') {
      throw new KittError(
        outcome.exit?.oomKilled ? 'OOM_KILLED' : 'ENGINE_EXITED',
        `${engine} exited before it was ready (${describeExit(outcome.exit)})${suffix}`,
        {
          hint: 'its log lines name the cause: a bad engine argument, an unreadable model',
          details: { exit: outcome.exit, logTail: tail },
        },
      );
    }
    throw new KittError(
      'ENGINE_NOT_READY',
      `${engine} was not ready within ${formatSeconds(options.timeoutMs)}: no ${strategy.description}${suffix}`,
      { hint: 'give it longer to start, or read its log lines', details: { logTail: tail } },
    );
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', cancel);
    if (!done.signal.aborted) done.abort(new Error('readiness wait ended'));
  }
}
