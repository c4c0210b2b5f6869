import type { CampaignCell } from '../../campaign/plan-campaign.js';
import type { KittError } from '../../core/errors.js';
import type { Progress } from '../../core/progress.js';

/** One cell to run: what it is and the campaign it belongs to. */
export interface CellRunRequest {
  readonly campaignId: string;
  readonly cell: Pick<CampaignCell, 'id' | 'content' | 'labels'>;
  /** The SLO the run itself is judged by (the campaign's first); the report judges the others. */
  readonly slo?: string | undefined;
}

/** How a cell's attempt ended. `interrupted`: a signal stopped it, and the campaign stops after it. */
export interface CellRunResult {
  readonly runId: string;
  readonly status: 'succeeded' | 'failed' | 'interrupted';
  readonly resultDir?: string | undefined;
  /** Why it failed, or the signal that interrupted it (its code carries 130 or 143). */
  readonly error?: KittError | undefined;
}

export interface CellRunContext {
  readonly progress: Progress;
  /** Aborted on the first SIGINT/SIGTERM: the cell's run stops and keeps what it measured. */
  readonly signal: AbortSignal;
  readonly force?: AbortSignal;
}

/**
 * Runs one cell: the port between the campaign's orchestration and whatever runs a `kitt run`
 * (here, in this process; on the fleet, an agent). `started` is called with the run id before
 * anything starts, so the store knows which run an attempt is even when the process dies in it.
 * A failure of the cell is a result, not an exception: the campaign goes on with the next cell.
 */
export interface CellRunner {
  runCell(
    request: CellRunRequest,
    hooks: { started(runId: string): Promise<void> },
    context: CellRunContext,
  ): Promise<CellRunResult>;
}
