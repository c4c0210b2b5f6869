import { setTimeout as sleep } from 'node:timers/promises';
import type { CellRunner } from '../../app/campaign/cell-runner.js';
import { PushError } from '../../app/push/push-http.js';
import { pushRun } from '../../app/push/push-run.js';
import type { CampaignCell } from '../../campaign/plan-campaign.js';
import { describeError } from '../../core/errors.js';
import { type Progress, silentProgress } from '../../core/progress.js';
import type { AgentRegistration } from '../../server/fleet/agent-registry.js';
import type { LeasedJob } from '../../server/fleet/fleet-service.js';
import type { Store } from '../../store/store-types.js';
import { errorMessageOf, type FleetClient, ServerUnreachable } from './fleet-client.js';
import type { PendingResult, PendingResults } from './pending-results.js';

export interface AgentLoopOptions {
  readonly client: FleetClient;
  readonly registration: AgentRegistration;
  readonly store: Store;
  readonly cellRunner: CellRunner;
  readonly pending: PendingResults;
  /** Aborted on the first SIGTERM/SIGINT: take no more jobs, finish the current one. */
  readonly drain: AbortSignal;
  /** Aborted on the second: interrupt the current job; it is reported failed, so it is queued again. */
  readonly interrupt: AbortSignal;
  /** Take one job, then stop. */
  readonly once: boolean;
  readonly heartbeatMs: number;
  /** How long one long-poll for a job waits on the server. */
  readonly pollWaitS: number;
  readonly log: (line: string) => void;
}

const MAX_BACKOFF_MS = 15_000;

/**
 * `kitt-agent run`: register, heartbeat, and take jobs one at a time until drained. Each job's
 * result is kept on disk before it is reported and removed only once the server acknowledged it
 * (pushed run, then complete or fail), so an unreachable server or a restart loses nothing: what
 * is pending is reported first, at start and after every reconnect. An unreachable server is
 * waited for with backoff; the agent never crashes on it.
 */
export async function runAgentLoop(options: AgentLoopOptions): Promise<{ jobs: number }> {
  const session = new AgentSession(options);
  await session.register();
  const heartbeat = setInterval(() => void session.heartbeat(), options.heartbeatMs);
  let jobs = 0;
  try {
    while (!options.drain.aborted) {
      if (!(await session.flushPending())) {
        await session.backoff();
        continue;
      }
      const job = await session.next();
      if (!job) continue;
      await session.runJob(job);
      jobs += 1;
      if (options.once) break;
    }
    await session.flushPending();
  } finally {
    clearInterval(heartbeat);
  }
  return { jobs };
}

class AgentSession {
  private agentId: string | undefined;
  private failures = 0;

  constructor(private readonly options: AgentLoopOptions) {}

  /** Waits, doubling from 1 s to 15 s, until drained. */
  async backoff(): Promise<void> {
    this.failures += 1;
    const delayMs = Math.min(1000 * 2 ** (this.failures - 1), MAX_BACKOFF_MS);
    await sleep(delayMs, undefined, { signal: this.options.drain }).catch(() => {});
  }

  private reached(): void {
    if (this.failures > 0) this.options.log('kitt server reachable again');
    this.failures = 0;
  }

  async register(): Promise<void> {
    while (!this.options.drain.aborted) {
      try {
        const answer = await this.options.client.post('/agents', this.options.registration);
        if (answer.status !== 201) throw new Error(`registration refused: ${errorMessageOf(answer)}`);
        this.agentId = String(answer.json.id);
        this.reached();
        this.options.log(
          `registered as ${this.agentId} (job classes: ${(answer.json.classes as string[]).join(', ')})`,
        );
        return;
      } catch (error) {
        if (!(error instanceof ServerUnreachable)) throw error;
        if (this.failures === 0) this.options.log(`kitt server unreachable (${error.message}); retrying`);
        await this.backoff();
      }
    }
  }

  async heartbeat(): Promise<void> {
    if (!this.agentId) return;
    try {
      const answer = await this.options.client.post(`/agents/${this.agentId}/heartbeat`, {});
      if (answer.status === 404) await this.register();
    } catch {
      // the main loop notices and backs off; a heartbeat only keeps the agent listed
    }
  }

  /** A job, or undefined when none came within the poll (or the server is away, after a backoff). */
  async next(): Promise<LeasedJob | undefined> {
    try {
      const answer = await this.options.client.post(
        `/agents/${this.agentId}/next?waitS=${this.options.pollWaitS}`,
        {},
        { timeoutMs: (this.options.pollWaitS + 30) * 1000 },
      );
      this.reached();
      if (answer.status === 404) await this.register();
      return answer.status === 200 ? (answer.json as unknown as LeasedJob) : undefined;
    } catch (error) {
      if (!(error instanceof ServerUnreachable)) throw error;
      if (this.failures === 0) this.options.log(`kitt server unreachable (${error.message}); retrying`);
      await this.backoff();
      return undefined;
    }
  }

  /** Best effort: a progress line the server shows; a lost one is not worth a retry. */
  private tell(job: LeasedJob, body: { runId?: string; line?: string }): Promise<void> {
    return this.options.client
      .post(`/jobs/${job.jobId}/progress`, { attempt: job.attempt, ...body })
      .then(() => {})
      .catch(() => {});
  }

  async runJob(job: LeasedJob): Promise<void> {
    const startedAt = Date.now();
    const cell = { id: job.cellId, content: job.content, labels: job.labels } as Pick<
      CampaignCell,
      'id' | 'content' | 'labels'
    >;
    const result = await this.options.cellRunner.runCell(
      { campaignId: job.campaignId, cell, slo: job.slo },
      { started: (runId) => this.tell(job, { runId }) },
      { progress: this.progressFor(job), signal: this.options.interrupt, force: this.options.interrupt },
    );
    const pending: PendingResult = {
      jobId: job.jobId,
      attempt: job.attempt,
      cellId: job.cellId,
      runId: result.runId,
      status: result.status === 'succeeded' ? 'succeeded' : 'failed',
      ...(result.status === 'succeeded' ? {} : { error: result.error?.message ?? result.status }),
    };
    this.options.pending.save(pending);
    const seconds = Math.round((Date.now() - startedAt) / 1000);
    const acknowledged = await this.report(pending);
    this.options.log(
      `job ${job.jobId} cell ${job.cellId} attempt ${job.attempt}: ${result.status} as run ${result.runId} in ${seconds} s` +
        `${pending.error ? ` (${pending.error})` : ''}; ${acknowledged ?? 'kept locally until kitt server answers'}`,
    );
  }

  /** The phase lines of the run, to the server. */
  private progressFor(job: LeasedJob): Progress {
    return {
      ...silentProgress,
      phase: (name) => void this.tell(job, { line: name }),
      warn: (line) => void this.tell(job, { line }),
    };
  }

  /** Reports every pending result, oldest first; false when the server could not be reached. */
  async flushPending(): Promise<boolean> {
    for (const result of this.options.pending.list()) {
      const said = await this.report(result);
      if (said === undefined) return false;
      this.options.log(
        `job ${result.jobId} cell ${result.cellId} attempt ${result.attempt}: ${result.status}, kept until now; ${said}`,
      );
    }
    return true;
  }

  /** Pushes the run, then completes or fails the job; what the server said, or undefined when it is away. */
  private async report(result: PendingResult): Promise<string | undefined> {
    try {
      const pushed = await this.push(result);
      const answer =
        result.status === 'succeeded'
          ? await this.options.client.post(`/jobs/${result.jobId}/complete`, {
              attempt: result.attempt,
              runId: result.runId,
              status: 'succeeded',
            })
          : await this.options.client.post(`/jobs/${result.jobId}/fail`, {
              attempt: result.attempt,
              runId: result.runId,
              error: result.error ?? 'failed',
            });
      this.options.pending.acknowledge(result);
      this.reached();
      const said =
        answer.status === 200
          ? result.status === 'succeeded'
            ? answer.json.recorded === 'before'
              ? 'recorded before'
              : 'recorded'
            : answer.json.dead
              ? 'dead-lettered'
              : 'to be retried'
          : `refused (${errorMessageOf(answer)})`;
      return `${pushed}, ${said}`;
    } catch (error) {
      if (error instanceof ServerUnreachable || (error instanceof PushError && error.unreachable)) return undefined;
      this.options.log(`job ${result.jobId} attempt ${result.attempt}: ${describeError(error)}; kept to retry`);
      return undefined;
    }
  }

  /** The attempt's run onto the server (a failed one too: it is a run worth keeping). */
  private async push(result: PendingResult): Promise<string> {
    if (!result.runId || !(await this.options.store.getRun(result.runId))) return 'no run to push';
    try {
      const pushed = await pushRun(this.options.store, result.runId, this.options.client.target, {
        retry: { attempts: 3, firstDelayMs: 250, maxDelayMs: 1000 },
      });
      return `pushed (${pushed.outcome}, ${pushed.files} files)`;
    } catch (error) {
      if (error instanceof PushError && error.unreachable) throw error;
      if (result.status === 'succeeded') throw error;
      return `not pushed (${describeError(error)})`;
    }
  }
}
