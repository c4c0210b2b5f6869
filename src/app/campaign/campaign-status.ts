import type { CampaignCellState, StoredCampaign, StoredCampaignCell } from '../../store/campaign-store.js';
import { CAMPAIGN_CELL_STATES } from '../../store/campaign-store.js';
import type { Store } from '../../store/store-types.js';
import { findCampaign } from './campaign-report.js';

/** A campaign as `kitt campaign status` shows it: its cells and how many are in each state. */
export interface CampaignStatus {
  readonly campaign: StoredCampaign;
  readonly cells: readonly StoredCampaignCell[];
  readonly counts: Readonly<Record<CampaignCellState, number>>;
}

function countStates(cells: readonly StoredCampaignCell[]): Record<CampaignCellState, number> {
  const counts = Object.fromEntries(CAMPAIGN_CELL_STATES.map((state) => [state, 0])) as Record<
    CampaignCellState,
    number
  >;
  for (const cell of cells) counts[cell.state] += 1;
  return counts;
}

/** One campaign by id or name (the one of that name updated last). */
export async function campaignStatus(store: Store, idOrName: string): Promise<CampaignStatus> {
  const campaign = await findCampaign(store, idOrName);
  const cells = await store.listCampaignCells(campaign.id);
  return { campaign, cells, counts: countStates(cells) };
}

/** Every campaign in the store, the one updated last first. */
export async function allCampaignStatuses(store: Store): Promise<CampaignStatus[]> {
  const statuses: CampaignStatus[] = [];
  for (const campaign of await store.listCampaigns()) {
    const cells = await store.listCampaignCells(campaign.id);
    statuses.push({ campaign, cells, counts: countStates(cells) });
  }
  return statuses;
}
