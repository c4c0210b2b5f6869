import { join } from 'node:path';
import { type HostFacts, unmetConstraints } from '../../campaign/check-constraints.js';
import type { CampaignCell, CampaignPlan } from '../../campaign/plan-campaign.js';
import { KittError } from '../../core/errors.js';
import type { StoredCampaign, StoredCampaignCell } from '../../store/campaign-store.js';
import type { Store } from '../../store/store-types.js';
import type { CellRunContext, CellRunner, CellRunResult } from './cell-runner.js';

export interface CampaignPorts {
  readonly store: Store;
  readonly cellRunner: CellRunner;
  /** The host the cells would run on, for the campaign's constraints. */
  host(): Promise<HostFacts>;
}

/** One attempt made by this `kitt campaign run`. */
export interface CellAttempt {
  readonly cellId: string;
  readonly position: number;
  readonly runId: string;
  readonly status: CellRunResult['status'];
  readonly resultDir?: string | undefined;
  readonly error?: KittError | undefined;
}

/** What a campaign run hands back: data, the shell renders it. */
export interface CampaignRunOutcome {
  readonly campaign: StoredCampaign;
  /** Every cell as the store has it after this run. */
  readonly cells: readonly StoredCampaignCell[];
  /** The cells that had succeeded before and were not run again. */
  readonly skipped: readonly string[];
  readonly attempts: readonly CellAttempt[];
  /** The signal that stopped the campaign; the cells after the interrupted one are left as they were. */
  readonly interruption: KittError | undefined;
}

/** `<home>/campaigns/<campaign id>`: campaign.html and the comparisons. */
export function campaignFolder(home: string, campaignId: string): string {
  return join(home, 'campaigns', campaignId);
}

/**
 * A cell left `running` whose run is still `running` after the store closed the books of dead
 * kitts (openRunStore) belongs to a kitt that is alive: two runs of one campaign would run it twice.
 */
async function refuseLiveCampaign(store: Store, cells: readonly StoredCampaignCell[], id: string): Promise<void> {
  for (const cell of cells.filter((c) => c.state === 'running' && c.runId)) {
    const run = await store.getRun(cell.runId!);
    if (run?.status === 'running') {
      throw new KittError('USAGE', `campaign ${id} is running already: its cell ${cell.cellId} is run ${run.id}`, {
        hint: 'wait for that kitt campaign run to end, or stop it with Ctrl-C, then run the campaign again',
      });
    }
  }
}

async function checkHost(plan: CampaignPlan, ports: CampaignPorts): Promise<void> {
  if (!plan.constraints.hosts && !plan.constraints.gpuTypes) return;
  const unmet = unmetConstraints(plan.constraints, await ports.host());
  if (unmet.length > 0) {
    throw new KittError('USAGE', `campaign ${plan.id} cannot run here: ${unmet.join('; ')}`, {
      hint: 'run it on a host that meets constraints, or change constraints in the file',
    });
  }
}

const STATE_OF = { succeeded: 'succeeded', failed: 'failed', interrupted: 'interrupted' } as const;

/**
 * `kitt campaign run`: records the campaign and its cells (pending), then runs the cells that have
 * not succeeded, one at a time in the file's order, through the cell runner: each attempt is marked
 * running with its run id before it starts and marked with how it ended after. Cells that
 * succeeded before are never run again; running (a dead kitt's), failed and interrupted ones are.
 * A failed cell does not stop the campaign; a signal does, after its cell was recorded interrupted.
 */
export async function runCampaign(
  plan: CampaignPlan,
  ports: CampaignPorts,
  context: CellRunContext,
  options: { readonly home: string; readonly source?: string | undefined },
): Promise<CampaignRunOutcome> {
  const { store } = ports;
  await checkHost(plan, ports);
  const before = await store.listCampaignCells(plan.id);
  await refuseLiveCampaign(store, before, plan.id);
  const campaign = await store.recordCampaign({
    id: plan.id,
    name: plan.name,
    contentHash: plan.contentHash,
    source: options.source,
    plan: { slos: plan.slos, constraints: plan.constraints, totalEstimateS: plan.totalEstimateS },
    folder: campaignFolder(options.home, plan.id),
    cells: plan.cells.map((cell) => ({
      cellId: cell.id,
      position: cell.position,
      content: { ...cell.content, labels: cell.labels },
      estimateS: cell.estimate.totalS,
    })),
  });
  const states = new Map((await store.listCampaignCells(plan.id)).map((cell) => [cell.cellId, cell.state]));
  const skipped = plan.cells.filter((cell) => states.get(cell.id) === 'succeeded').map((cell) => cell.id);
  const todo = plan.cells.filter((cell) => states.get(cell.id) !== 'succeeded');
  const attempts: CellAttempt[] = [];
  let interruption: KittError | undefined;
  for (const [index, cell] of todo.entries()) {
    if (context.signal.aborted) break;
    context.progress.phase(`campaign ${plan.id}: cell ${index + 1}/${todo.length} (${cell.id}) ${describeCell(cell)}`);
    const result = await runOneCell(plan, cell, ports, context);
    attempts.push({ cellId: cell.id, position: cell.position, ...result });
    if (result.status === 'interrupted') {
      interruption = result.error;
      break;
    }
  }
  interruption ??= context.signal.aborted ? (context.signal.reason as KittError) : undefined;
  return { campaign, cells: await store.listCampaignCells(plan.id), skipped, attempts, interruption };
}

function describeCell(cell: CampaignCell): string {
  const { model, engine, limits, load } = cell.labels;
  return `${engine}, ${limits}, ${load}, ${model}${cell.content.repeat > 1 ? `, repeat ${cell.content.repeat}` : ''}`;
}

async function runOneCell(
  plan: CampaignPlan,
  cell: CampaignCell,
  ports: CampaignPorts,
  context: CellRunContext,
): Promise<CellRunResult> {
  const { store } = ports;
  const result = await ports.cellRunner.runCell(
    { campaignId: plan.id, cell, slo: plan.slos[0] },
    { started: (runId) => store.markCellRunning(plan.id, cell.id, runId) },
    context,
  );
  const error = result.status === 'succeeded' ? undefined : result.error;
  await store.markCellFinished(plan.id, cell.id, {
    state: STATE_OF[result.status],
    ...(error ? { error: error.message } : {}),
  });
  if (result.status === 'failed') context.progress.warn(`cell ${cell.id} failed: ${error?.message ?? 'unknown'}`);
  return result;
}
