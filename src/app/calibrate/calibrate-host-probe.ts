import { spawn } from 'node:child_process';
import { startEventLoopDelay } from '../../load/event-loop-delay.js';

/** How responsive the host stayed while the engine was loaded. */
export interface HostResponsiveness {
  /** kitt's own event loop: p99 and max delay, ms (past due, see load/event-loop-delay.ts). */
  readonly eventLoopDelayP99Ms: number;
  readonly eventLoopDelayMaxMs: number;
  /**
   * A separate host process sleeping 10 ms at a time: how late its timers fired, ms. It measures
   * what any other program on the host would feel, independent of kitt's own load.
   */
  readonly probeDriftP99Ms: number | undefined;
  readonly probeDriftMaxMs: number | undefined;
  readonly probeSamples: number;
}

// The probe: every 10 ms, record how late the timer fired; on SIGTERM print p99 and max as JSON.
// It says "ready" once its SIGTERM handler is in place: a SIGTERM before that ends it unreported.
const PROBE_SOURCE = `
const { performance } = require('node:perf_hooks');
const late = [];
let due = performance.now() + 10;
const tick = () => { const now = performance.now(); late.push(Math.max(0, now - due)); due = now + 10; setTimeout(tick, 10); };
setTimeout(tick, 10);
process.on('SIGTERM', () => {
  late.sort((a, b) => a - b);
  const p99 = late.length ? late[Math.max(0, Math.ceil(late.length * 0.99) - 1)] : null;
  process.stdout.write(JSON.stringify({ p99, max: late.length ? late[late.length - 1] : null, n: late.length }));
  process.exit(0);
});
process.stdout.write('ready\\n');
`;

/**
 * Starts both probes; `stop()` ends them and returns the figures. The probe process is always ended.
 * `ready` settles once the probe process samples (or has died): a start takes a second or more on a
 * loaded host, and the figures cover only the time after it.
 */
export function startHostProbe(): { readonly ready: Promise<void>; stop(): Promise<HostResponsiveness> } {
  const loop = startEventLoopDelay();
  const child = spawn(process.execPath, ['-e', PROBE_SOURCE], { stdio: ['ignore', 'pipe', 'ignore'] });
  let output = '';
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.startsWith('ready\n')) markReady();
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  void exited.then(markReady);
  let stopped: Promise<HostResponsiveness> | undefined;
  return {
    ready,
    stop() {
      stopped ??= (async () => {
        const delay = loop.stop();
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
        await exited;
        clearTimeout(timer);
        let probe: { p99: number | null; max: number | null; n: number } = { p99: null, max: null, n: 0 };
        try {
          probe = JSON.parse(output.replace(/^ready\n/, ''));
        } catch {
          // the probe died before reporting; its figures stay unknown
        }
        return {
          eventLoopDelayP99Ms: delay.p99Ms,
          eventLoopDelayMaxMs: delay.maxMs,
          probeDriftP99Ms: probe.p99 ?? undefined,
          probeDriftMaxMs: probe.max ?? undefined,
          probeSamples: probe.n,
        };
      })();
      return stopped;
    },
  };
}
