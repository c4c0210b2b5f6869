import { setTimeout as sleep } from 'node:timers/promises';
import { type CampaignStatus, campaignStatus } from '../../app/campaign/campaign-status.js';
import { type FleetCampaignPlan, readCampaignText } from '../../app/campaign/read-campaign.js';
import type { KittConfig } from '../../config/config-schema.js';
import type { StoredCampaignCell } from '../../store/campaign-store.js';
import type { Store } from '../../store/store-types.js';
import { type AgentRegistration, AgentRegistry, type KnownAgent } from './agent-registry.js';
import type { CellJob, CellQueue } from './cell-queue.js';
import { FleetError } from './fleet-error.js';
import { classOfCell, jobIdOf } from './job-classes.js';

export interface FleetOptions {
  readonly store: Store;
  readonly queue: CellQueue;
  readonly config: KittConfig;
  /** Seconds added to twice a cell's estimate to make its lease. */
  readonly leaseMarginS: number;
  readonly log: (line: string) => void;
}

/** A job as an agent gets it. */
export interface LeasedJob {
  readonly jobId: string;
  readonly attempt: number;
  readonly leaseS: number;
  readonly campaignId: string;
  readonly cellId: string;
  readonly content: unknown;
  readonly labels: unknown;
  readonly slo?: string | undefined;
}

const FINAL_STATES = new Set(['succeeded', 'dead', 'cancelled']);
/** Long-polls look for a job this often. */
const POLL_MS = 500;

/** The error a failed attempt left, as the agent sent it or as pg-boss wrote it when a lease expired. */
function errorOf(output: unknown): string {
  const value = output as { error?: unknown; message?: unknown; value?: { message?: unknown } } | null | undefined;
  const text = value?.error ?? value?.message ?? value?.value?.message;
  return typeof text === 'string' && text !== '' ? text : 'the lease expired with no result';
}

/**
 * The fleet: campaigns submitted to the server become one job per cell on the queue; agents lease
 * them, run them and report. A cell's result is recorded once per attempt: the attempt is pg-boss's
 * retry count at the lease, and only the attempt that holds the lease may complete the job.
 */
export class Fleet {
  readonly agents = new AgentRegistry();

  constructor(private readonly options: FleetOptions) {}

  private get store() {
    return this.options.store;
  }

  /** Plans the file's content, records the campaign and its cells, and queues each cell not done yet. */
  async submitCampaign(input: {
    content: string;
    source: string;
  }): Promise<{ plan: FleetCampaignPlan; queued: number }> {
    const plan = readCampaignText(input.content, input.source, this.options.config);
    await this.store.recordCampaign({
      id: plan.id,
      name: plan.name,
      contentHash: plan.contentHash,
      source: input.source,
      plan: {
        slos: plan.slos,
        constraints: plan.constraints,
        totalEstimateS: plan.totalEstimateS,
        fleet: true,
        priority: plan.priority,
      },
      folder: '',
      cells: plan.cells.map((cell) => ({
        cellId: cell.id,
        position: cell.position,
        content: { ...cell.content, labels: cell.labels },
        estimateS: cell.estimate.totalS,
      })),
    });
    const states = new Map((await this.store.listCampaignCells(plan.id)).map((cell) => [cell.cellId, cell.state]));
    let queued = 0;
    for (const cell of plan.cells) {
      if (states.get(cell.id) === 'succeeded') continue;
      const sent = await this.options.queue.send(
        classOfCell(cell.content),
        jobIdOf(plan.id, cell.id),
        {
          campaignId: plan.id,
          cellId: cell.id,
          position: cell.position,
          content: cell.content,
          labels: cell.labels,
          slo: plan.slos[0],
        },
        { expireInSeconds: cell.estimate.totalS * 2 + this.options.leaseMarginS, priority: plan.priority },
      );
      if (sent) queued += 1;
    }
    this.options.log(`campaign ${plan.id}: ${plan.cells.length} cells, ${queued} queued at priority ${plan.priority}`);
    return { plan, queued };
  }

  /** The campaign's cells, each brought in line with its job first (a lease that expired, a dead letter). */
  async status(idOrName: string): Promise<CampaignStatus & { finished: boolean }> {
    const before = await campaignStatus(this.store, idOrName);
    for (const cell of before.cells.filter((c) => !FINAL_STATES.has(c.state))) await this.reconcile(cell);
    const after = await campaignStatus(this.store, before.campaign.id);
    return { ...after, finished: after.cells.every((cell) => FINAL_STATES.has(cell.state)) };
  }

  private async reconcile(cell: StoredCampaignCell): Promise<void> {
    const job = await this.options.queue.get(jobIdOf(cell.campaignId, cell.cellId));
    if (!job) return;
    const finish = (state: 'dead' | 'cancelled' | 'interrupted', error?: string) =>
      this.store.markCellFinished(cell.campaignId, cell.cellId, { state, error });
    if (job.state === 'failed') await finish('dead', errorOf(job.output));
    else if (job.state === 'cancelled') await finish('cancelled');
    else if (job.state === 'retry' && cell.state === 'running') {
      await finish('interrupted', `attempt ${cell.attempts} ended without a result: ${errorOf(job.output)}`);
    }
  }

  /** Cancels every job of the campaign not finished; its cells end `cancelled`. */
  async cancel(idOrName: string): Promise<CampaignStatus & { finished: boolean }> {
    const { campaign, cells } = await campaignStatus(this.store, idOrName);
    for (const cell of cells.filter((c) => !FINAL_STATES.has(c.state))) {
      const job = await this.options.queue.get(jobIdOf(campaign.id, cell.cellId));
      if (job && !['completed', 'failed', 'cancelled'].includes(job.state)) await this.options.queue.cancel(job);
      await this.store.markCellFinished(campaign.id, cell.cellId, { state: 'cancelled' });
    }
    this.options.log(`campaign ${campaign.id} cancelled`);
    return this.status(campaign.id);
  }

  register(registration: AgentRegistration): KnownAgent {
    const agent = this.agents.register(registration);
    this.options.log(
      `agent ${agent.id} (${agent.name}) registered: ${agent.classes.map((c) => `${c.mode}${c.gpu ? '+gpu' : ''}`).join(', ') || 'no job class'}`,
    );
    return agent;
  }

  /** Waits up to `waitS` for a job of a class this agent serves; undefined when none came. */
  async next(agentId: string, waitS: number, signal?: AbortSignal): Promise<LeasedJob | undefined> {
    const agent = this.agents.touch(agentId);
    const until = Date.now() + waitS * 1000;
    for (;;) {
      const job = await this.options.queue.fetchOne(agent.classes);
      if (job) return this.lease(agent, job);
      if (Date.now() + POLL_MS > until || signal?.aborted) return undefined;
      await sleep(POLL_MS, undefined, { signal }).catch(() => {});
    }
  }

  private async lease(agent: KnownAgent, job: CellJob): Promise<LeasedJob> {
    agent.job = { id: job.id, attempt: job.attempt };
    this.options.log(`job ${job.id} (cell ${job.data.cellId}, attempt ${job.attempt}) leased to ${agent.id}`);
    const cell = await this.cellOf(job);
    return {
      jobId: job.id,
      attempt: job.attempt,
      leaseS: job.expireInSeconds || (cell?.estimateS ?? 0) * 2 + this.options.leaseMarginS,
      campaignId: job.data.campaignId,
      cellId: job.data.cellId,
      content: job.data.content,
      labels: job.data.labels,
      slo: job.data.slo,
    };
  }

  private async cellOf(job: CellJob): Promise<StoredCampaignCell | undefined> {
    const cells = await this.store.listCampaignCells(job.data.campaignId);
    return cells.find((cell) => cell.cellId === job.data.cellId);
  }

  /** The job, held by this attempt's lease; 404 or 409 otherwise. */
  private async heldJob(jobId: string, attempt: number): Promise<{ job: CellJob; cell: StoredCampaignCell }> {
    const job = await this.options.queue.get(jobId);
    const cell = job && (await this.cellOf(job));
    if (!job || !cell) throw new FleetError(404, 'NOT_FOUND', `no job ${jobId}`);
    if (job.state !== 'active' || job.attempt !== attempt) {
      throw new FleetError(
        409,
        'CONFLICT',
        `attempt ${attempt} of cell ${cell.cellId} no longer holds its lease (the job is ${job.state}, attempt ${job.attempt})`,
        'the run is kept as a run; the cell is recorded by the attempt that holds the lease',
      );
    }
    return { job, cell };
  }

  /** An agent's word on its job: the run it started (the cell is running as that run) and a progress line. */
  async progress(jobId: string, body: { attempt: number; runId?: string | undefined; line?: string | undefined }) {
    const { cell } = await this.heldJob(jobId, body.attempt);
    if (body.runId && cell.runId !== body.runId) {
      await this.store.markCellRunning(cell.campaignId, cell.cellId, body.runId);
    }
    const holder = this.agents.holderOf(jobId);
    if (holder?.job && body.line) holder.job.line = body.line;
  }

  /**
   * Records the cell succeeded as this attempt's run, then completes the job: exactly once per cell
   * and attempt. Repeating the complete of the attempt that was recorded answers as the first did.
   */
  async complete(jobId: string, body: { attempt: number; runId: string }): Promise<{ recorded: 'now' | 'before' }> {
    const job = await this.options.queue.get(jobId);
    const cell = job && (await this.cellOf(job));
    if (job?.state === 'completed' && cell?.state === 'succeeded' && cell.runId === body.runId) {
      return { recorded: 'before' };
    }
    const held = await this.heldJob(jobId, body.attempt);
    if (held.cell.runId !== body.runId)
      await this.store.markCellRunning(held.cell.campaignId, held.cell.cellId, body.runId);
    await this.store.markCellFinished(held.cell.campaignId, held.cell.cellId, { state: 'succeeded' });
    await this.options.queue.complete(held.job, { runId: body.runId, attempt: body.attempt });
    this.release(jobId);
    this.options.log(`job ${jobId} (cell ${held.cell.cellId}, attempt ${body.attempt}) succeeded as run ${body.runId}`);
    return { recorded: 'now' };
  }

  /** Fails this attempt: pg-boss retries it with backoff, or after the last retry dead-letters it and the cell is dead. */
  async fail(jobId: string, body: { attempt: number; runId?: string | undefined; error: string }) {
    const held = await this.heldJob(jobId, body.attempt);
    if (body.runId && held.cell.runId !== body.runId) {
      await this.store.markCellRunning(held.cell.campaignId, held.cell.cellId, body.runId);
    }
    await this.options.queue.fail(held.job, { error: body.error });
    const after = await this.options.queue.get(jobId);
    const dead = after?.state === 'failed';
    await this.store.markCellFinished(held.cell.campaignId, held.cell.cellId, {
      state: dead ? 'dead' : 'failed',
      error: body.error,
    });
    this.release(jobId);
    this.options.log(
      `job ${jobId} (cell ${held.cell.cellId}, attempt ${body.attempt}) failed${dead ? ', dead-lettered' : ', to be retried'}: ${body.error}`,
    );
    return { dead };
  }

  private release(jobId: string): void {
    const holder = this.agents.holderOf(jobId);
    if (holder) holder.job = undefined;
  }
}
