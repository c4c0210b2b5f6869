import type { CampaignStatus } from '../../app/campaign/campaign-status.js';
import type { CampaignRunOutcome } from '../../app/campaign/run-campaign.js';
import type { CampaignPlan } from '../../campaign/plan-campaign.js';
import { CAMPAIGN_CELL_STATES } from '../../store/campaign-store.js';
import { plainTable } from '../plain-table.js';

/** `1h 02m`, `3m 20s`, `45s`: an estimate in the units a person plans with. */
export function formatSeconds(seconds: number): string {
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

/** `kitt campaign plan`: one row per cell and the total estimate. */
export function renderPlan(plan: CampaignPlan): string {
  const rows = plan.cells.map((cell) => [
    String(cell.position + 1),
    cell.id,
    cell.labels.engine,
    cell.labels.limits,
    cell.labels.load,
    cell.labels.model,
    String(cell.content.repeat),
    `${formatSeconds(cell.estimate.totalS)}${cell.estimate.loadGuessed ? ' ~' : ''}`,
  ]);
  const guessed = plan.cells.some((cell) => cell.estimate.loadGuessed)
    ? '\n~ a load of a request count lasts as long as the engine takes: estimated at 1 s a request per slot'
    : '';
  const constraints = Object.entries(plan.constraints)
    .map(([key, values]) => `${key}: ${(values as string[]).join(', ')}`)
    .join('; ');
  return `campaign ${plan.name} (${plan.id}): ${plan.cells.length} cells, estimated ${formatSeconds(plan.totalEstimateS)}
${plainTable([['#', 'cell', 'engine', 'limits', 'load', 'model', 'repeat', 'estimate'], ...rows])}
${plan.slos.length > 0 ? `SLOs: ${plan.slos.join(' | ')}\n` : ''}${constraints ? `constraints: ${constraints}\n` : ''}estimate per cell: the load's duration (warmup included) + the engine's start (docker 30 s, native 10 s, embedded 5 s)${guessed}
`;
}

export function planJson(plan: CampaignPlan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}

const countsLine = (status: CampaignStatus) =>
  CAMPAIGN_CELL_STATES.filter((state) => status.counts[state] > 0)
    .map((state) => `${status.counts[state]} ${state}`)
    .join(', ');

/** `kitt campaign status NAME`: the cells by state, with the run of each attempt. */
export function renderStatus(status: CampaignStatus): string {
  const labels = (cell: CampaignStatus['cells'][number]) =>
    (cell.content as { labels?: { engine: string; limits: string; load: string } }).labels;
  const rows = status.cells.map((cell) => [
    String(cell.position + 1),
    cell.cellId,
    cell.state,
    String(cell.attempts),
    cell.runIds.length > 0 ? cell.runIds.join(', ') : '-',
    labels(cell) ? `${labels(cell)!.engine}, ${labels(cell)!.limits}, ${labels(cell)!.load}` : '',
  ]);
  const { campaign } = status;
  // a dead or failed cell's last error, one line each below the table (too long for a column)
  const errors = status.cells
    .filter((cell) => cell.error && cell.state !== 'succeeded')
    .map((cell) => `cell ${cell.position + 1} (${cell.cellId}) ${cell.state}: ${cell.error}\n`)
    .join('');
  return `campaign ${campaign.name} (${campaign.id}): ${status.cells.length} cells, ${countsLine(status)}
${plainTable([['#', 'cell', 'state', 'attempts', 'runs', 'what'], ...rows])}
${errors}${campaign.folder ? `report: ${campaign.folder}/campaign.html\n` : ''}`;
}

/** `kitt campaign status` without a name: every campaign and its counts. */
export function renderStatuses(statuses: readonly CampaignStatus[]): string {
  if (statuses.length === 0) return 'no campaigns in the results store (kitt campaign run FILE records one)\n';
  const rows = statuses.map((status) => [
    status.campaign.name,
    status.campaign.id,
    String(status.cells.length),
    countsLine(status),
    status.campaign.updatedAt,
  ]);
  return `${plainTable([['name', 'id', 'cells', 'states', 'updated'], ...rows])}\n`;
}

export function statusJson(status: CampaignStatus | readonly CampaignStatus[]): string {
  return `${JSON.stringify(status, null, 2)}\n`;
}

/** The end of `kitt campaign run`: what ran now, what was skipped, where the report is. */
export function renderRunOutcome(outcome: CampaignRunOutcome, reportPath: string | undefined): string {
  const ran = outcome.attempts.map((attempt) => `  ${attempt.cellId}  ${attempt.status}  run ${attempt.runId}`);
  const lines = [
    `\ncampaign ${outcome.campaign.name} (${outcome.campaign.id}): ${outcome.attempts.length} cells run now, ${outcome.skipped.length} succeeded before (skipped)`,
    ...ran,
  ];
  const left = outcome.cells.filter((cell) => cell.state !== 'succeeded').length;
  if (left > 0) lines.push(`${left} cells not succeeded: kitt campaign run again resumes with them`);
  if (reportPath) lines.push(`report: ${reportPath}`);
  return `${lines.join('\n')}\n`;
}
