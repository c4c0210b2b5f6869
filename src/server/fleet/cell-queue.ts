import PgBoss from 'pg-boss';
import { KittError } from '../../core/errors.js';
import { ALL_JOB_CLASSES, type JobClass, queueName } from './job-classes.js';

/** What a cell's job carries: enough for an agent to run it without asking the store. */
export interface CellJobData {
  readonly campaignId: string;
  readonly cellId: string;
  readonly position: number;
  readonly content: unknown;
  readonly labels: unknown;
  readonly slo?: string | undefined;
}

export interface CellJob {
  readonly id: string;
  readonly queue: string;
  readonly data: CellJobData;
  /** 1 for the first lease, 2 after the first retry (pg-boss's retryCount + 1). */
  readonly attempt: number;
  readonly state: PgBoss.JobWithMetadata['state'];
  readonly expireInSeconds: number;
  /** What the last failure left (`{ error }` from an agent, pg-boss's own on a lease that expired). */
  readonly output: unknown;
}

export interface RetryPolicy {
  /** Retries after the first attempt. */
  readonly retryLimit: number;
  /** Seconds before the first retry, doubled each time (retryBackoff). */
  readonly retryDelayS: number;
}

export const DEFAULT_CELL_RETRY: RetryPolicy = { retryLimit: 2, retryDelayS: 2 };
export const DEAD_LETTER_QUEUE = 'kitt-cell-dead';

/**
 * The campaign's cells as pg-boss jobs, one queue per job class plus a dead-letter queue. The
 * rest of the fleet speaks CellJob; only this file speaks pg-boss. A lease is pg-boss's
 * expireInSeconds: a job active longer than that is failed by pg-boss's maintenance and retried
 * (or dead-lettered), which is how an agent that died mid-job gives its cell back.
 */
export class CellQueue {
  private constructor(
    private readonly boss: PgBoss,
    private readonly retry: RetryPolicy,
  ) {}

  /** Starts pg-boss in its own schema of the store's database (made and migrated on first start). */
  static async open(options: {
    readonly url: string;
    readonly schema: string;
    readonly maintenanceIntervalSeconds?: number;
    readonly retry?: RetryPolicy;
    readonly log: (line: string) => void;
  }): Promise<CellQueue> {
    const boss = new PgBoss({
      connectionString: options.url,
      schema: options.schema,
      max: 4,
      // expiry of leases is found by maintenance: often enough that a dead agent's cell comes back soon
      maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 10,
    });
    boss.on('error', (error) => options.log(`job queue: ${error.message}`));
    try {
      await boss.start();
    } catch (error) {
      throw new KittError('STORE_FAILED', `the job queue cannot start on PostgreSQL: ${(error as Error).message}`, {
        hint: 'check that the store URL reaches PostgreSQL and its user may create a schema',
      });
    }
    const retry = options.retry ?? DEFAULT_CELL_RETRY;
    if (!(await boss.getQueue(DEAD_LETTER_QUEUE))) await boss.createQueue(DEAD_LETTER_QUEUE);
    for (const jobClass of ALL_JOB_CLASSES) {
      const name = queueName(jobClass);
      if (await boss.getQueue(name)) continue;
      await boss.createQueue(name, {
        name,
        policy: 'standard',
        retryLimit: retry.retryLimit,
        retryDelay: retry.retryDelayS,
        retryBackoff: true,
        deadLetter: DEAD_LETTER_QUEUE,
      });
    }
    return new CellQueue(boss, retry);
  }

  /**
   * Queues a cell's job under its fixed id; false when that job exists already. The retry policy
   * goes with each job, not only with its queue (made once, by the first server): a server started
   * with another policy applies it to what it queues.
   */
  async send(
    jobClass: JobClass,
    id: string,
    data: CellJobData,
    options: { readonly expireInSeconds: number; readonly priority?: number | undefined },
  ): Promise<boolean> {
    const sent = await this.boss.send(queueName(jobClass), data as unknown as object, {
      id,
      singletonKey: `${data.campaignId}/${data.cellId}`,
      expireInSeconds: Math.ceil(options.expireInSeconds),
      retryLimit: this.retry.retryLimit,
      retryDelay: this.retry.retryDelayS,
      retryBackoff: true,
      deadLetter: DEAD_LETTER_QUEUE,
      ...(options.priority !== undefined ? { priority: options.priority } : {}),
    });
    return sent !== null;
  }

  /** One job of the first of these classes that has one, leased to the caller. */
  async fetchOne(classes: readonly JobClass[]): Promise<CellJob | undefined> {
    for (const jobClass of classes) {
      const name = queueName(jobClass);
      const [job] = await this.boss.fetch<CellJobData>(name, { batchSize: 1, includeMetadata: true, priority: true });
      if (job) return toCellJob(name, job);
    }
    return undefined;
  }

  /** The job of this id in whichever class queue holds it. */
  async get(id: string): Promise<CellJob | undefined> {
    for (const jobClass of ALL_JOB_CLASSES) {
      const name = queueName(jobClass);
      const job = await this.boss.getJobById<CellJobData>(name, id, { includeArchive: true });
      if (job) return toCellJob(name, job);
    }
    return undefined;
  }

  complete(job: CellJob, output: object): Promise<void> {
    return this.boss.complete(job.queue, job.id, output);
  }

  fail(job: CellJob, output: object): Promise<void> {
    return this.boss.fail(job.queue, job.id, output);
  }

  cancel(job: CellJob): Promise<void> {
    return this.boss.cancel(job.queue, job.id);
  }

  async close(): Promise<void> {
    await this.boss.stop({ graceful: false, wait: true, close: true });
  }
}

function toCellJob(queue: string, job: PgBoss.JobWithMetadata<CellJobData>): CellJob {
  return {
    id: job.id,
    queue,
    data: job.data,
    attempt: Number(job.retryCount) + 1,
    state: job.state,
    expireInSeconds: Number(job.expireInSeconds ?? 0),
    output: job.output,
  };
}
