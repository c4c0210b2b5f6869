import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { KittError } from '../core/errors.js';
import type { ExitInfo } from '../runtime/container-runtime.js';

/** What waiting for a server engine needs: its readiness URL, its exit, a budget and a cancel. */
export interface ReadinessWait {
  readonly url: string;
  /** Resolves when the container or process ends; readiness fails at once when it does. */
  readonly exited: Promise<ExitInfo | undefined>;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

export type ReadinessWaiter = (wait: ReadinessWait) => Promise<void>;

/** Exactly 200 is ready: a 404 or 503 while the model loads is not (KITT took anything below 500). */
async function answers200(url: string, signal: AbortSignal): Promise<boolean> {
  try {
    const response = await request(url, { signal, headersTimeout: 2_000, bodyTimeout: 2_000 });
    await response.body.text();
    return response.statusCode === 200;
  } catch {
    return false;
  }
}

/**
 * Polls the readiness URL until it answers 200, the engine exits (early failure, with its exit),
 * the budget runs out (ENGINE_NOT_READY) or the signal aborts.
 */
export async function waitForEngineReady(wait: ReadinessWait): Promise<void> {
  const deadline = performance.now() + wait.timeoutMs;
  let exit: ExitInfo | undefined;
  let ended = false;
  void wait.exited.then((info) => {
    ended = true;
    exit = info;
  });
  const stop = new AbortController();
  const onAbort = () => stop.abort(wait.signal?.reason);
  wait.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let delayMs = 100;
    while (true) {
      if (wait.signal?.aborted) throw wait.signal.reason ?? new KittError('INTERRUPTED', 'interrupted');
      if (ended) {
        throw new KittError('ENGINE_EXITED', `the engine exited before it was ready: ${exit?.reason ?? 'gone'}`);
      }
      if (await answers200(wait.url, stop.signal)) return;
      if (performance.now() >= deadline) {
        throw new KittError(
          'ENGINE_NOT_READY',
          `no 200 from ${wait.url} within ${Math.round(wait.timeoutMs / 1000)} s`,
        );
      }
      await Promise.race([sleep(delayMs), wait.exited]);
      delayMs = Math.min(delayMs * 2, 1_000);
    }
  } finally {
    wait.signal?.removeEventListener('abort', onAbort);
  }
}
