import type { Kysely } from 'kysely';
import { fromJson, orUndefined, type StoreSchema, toIso, toJson } from './store-schema.js';

/**
 * A cell's state: `pending` until a `kitt campaign run` starts it, `running` while it runs (or
 * until a later run finds the kitt that ran it gone), then how it ended. Only `succeeded` is final:
 * a rerun of the campaign runs every other cell again. On the fleet, `dead` is a cell whose every
 * retry failed (its job is in the dead-letter queue) and `cancelled` one whose campaign was cancelled.
 */
export const CAMPAIGN_CELL_STATES = [
  'pending',
  'running',
  'succeeded',
  'failed',
  'interrupted',
  'dead',
  'cancelled',
] as const;
export type CampaignCellState = (typeof CAMPAIGN_CELL_STATES)[number];

/** A campaign as `kitt campaign run` records it before its first cell starts. */
export interface CampaignRecord {
  /** `<name>-<hash>`: the same name and cells are the same campaign. */
  readonly id: string;
  readonly name: string;
  readonly contentHash: string;
  /** The file it was read from. */
  readonly source?: string | undefined;
  /** The plan as data (SLOs, constraints, estimates), for status and the report. */
  readonly plan: unknown;
  /** Where campaign.html is written. */
  readonly folder: string;
  readonly cells: ReadonlyArray<{
    readonly cellId: string;
    readonly position: number;
    readonly content: unknown;
    readonly estimateS: number;
  }>;
}

export interface StoredCampaign {
  readonly id: string;
  readonly name: string;
  readonly contentHash: string;
  readonly source: string | undefined;
  readonly plan: unknown;
  readonly folder: string | undefined;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface StoredCampaignCell {
  readonly campaignId: string;
  readonly cellId: string;
  readonly position: number;
  readonly content: unknown;
  readonly estimateS: number | undefined;
  readonly state: CampaignCellState;
  /** The run of the latest attempt. */
  readonly runId: string | undefined;
  /** The run of every attempt, oldest first. */
  readonly runIds: readonly string[];
  readonly attempts: number;
  readonly error: string | undefined;
  readonly updatedAt: string;
}

/** The campaigns and their cells, in the results store beside the runs the cells made. */
export interface CampaignStore {
  /** Records the campaign, or refreshes its plan when it exists; cells it lacks are added as pending, the rest kept. */
  recordCampaign(campaign: CampaignRecord, at?: Date): Promise<StoredCampaign>;
  /** By its id, else the campaign of that name updated last. */
  getCampaign(idOrName: string): Promise<StoredCampaign | undefined>;
  /** Every campaign, the one updated last first. */
  listCampaigns(): Promise<StoredCampaign[]>;
  /** The cells of a campaign in the file's order. */
  listCampaignCells(campaignId: string): Promise<StoredCampaignCell[]>;
  /** A new attempt: the cell is running, as run `runId`. */
  markCellRunning(campaignId: string, cellId: string, runId: string, at?: Date): Promise<void>;
  markCellFinished(
    campaignId: string,
    cellId: string,
    end: { readonly state: Exclude<CampaignCellState, 'pending' | 'running'>; readonly error?: string | undefined },
    at?: Date,
  ): Promise<void>;
}

interface CampaignsTable {
  id: string;
  name: string;
  content_hash: string;
  source: string | null;
  plan: unknown;
  folder: string | null;
  created_at: string | Date;
  updated_at: string | Date;
}

interface CampaignCellsTable {
  campaign_id: string;
  cell_id: string;
  position: number;
  content: unknown;
  estimate_s: number | null;
  state: CampaignCellState;
  run_id: string | null;
  run_ids: unknown;
  attempts: number;
  error: string | null;
  updated_at: string | Date;
}

type CampaignTables = {
  campaigns: CampaignsTable;
  campaign_cells: CampaignCellsTable;
};

function toCampaign(row: CampaignsTable): StoredCampaign {
  return {
    id: row.id,
    name: row.name,
    contentHash: row.content_hash,
    source: orUndefined(row.source),
    plan: fromJson(row.plan),
    folder: orUndefined(row.folder),
    createdAt: toIso(row.created_at)!,
    updatedAt: toIso(row.updated_at)!,
  };
}

function toCell(row: CampaignCellsTable): StoredCampaignCell {
  return {
    campaignId: row.campaign_id,
    cellId: row.cell_id,
    position: Number(row.position),
    content: fromJson(row.content),
    estimateS: row.estimate_s === null ? undefined : Number(row.estimate_s),
    state: row.state,
    runId: orUndefined(row.run_id),
    runIds: (fromJson(row.run_ids) as string[] | undefined) ?? [],
    attempts: Number(row.attempts),
    error: orUndefined(row.error),
    updatedAt: toIso(row.updated_at)!,
  };
}

/** The campaigns and campaign_cells tables (migration 0004) behind the store's campaign methods. */
export function campaignStore(store: Kysely<StoreSchema>): CampaignStore {
  const db = store.withTables<CampaignTables>();
  const getById = async (id: string) => {
    const row = await db.selectFrom('campaigns').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toCampaign(row) : undefined;
  };
  return {
    recordCampaign: (campaign, at = new Date()) =>
      db.transaction().execute(async (tx) => {
        const now = at.toISOString();
        const fields = { source: campaign.source ?? null, plan: toJson(campaign.plan), folder: campaign.folder };
        const existing = await tx.selectFrom('campaigns').select('id').where('id', '=', campaign.id).executeTakeFirst();
        if (existing)
          await tx
            .updateTable('campaigns')
            .set({ ...fields, updated_at: now })
            .where('id', '=', campaign.id)
            .execute();
        else {
          await tx
            .insertInto('campaigns')
            .values({
              id: campaign.id,
              name: campaign.name,
              content_hash: campaign.contentHash,
              ...fields,
              created_at: now,
              updated_at: now,
            })
            .execute();
        }
        const known = new Set(
          (
            await tx.selectFrom('campaign_cells').select('cell_id').where('campaign_id', '=', campaign.id).execute()
          ).map((row) => row.cell_id),
        );
        for (const cell of campaign.cells.filter((c) => !known.has(c.cellId))) {
          await tx
            .insertInto('campaign_cells')
            .values({
              campaign_id: campaign.id,
              cell_id: cell.cellId,
              position: cell.position,
              content: toJson(cell.content),
              estimate_s: cell.estimateS,
              state: 'pending',
              run_id: null,
              run_ids: toJson([]),
              attempts: 0,
              error: null,
              updated_at: now,
            })
            .execute();
        }
        // a reordered file keeps its cells and their states; the order shown follows the file
        for (const cell of campaign.cells.filter((c) => known.has(c.cellId))) {
          await tx
            .updateTable('campaign_cells')
            .set({ position: cell.position })
            .where('campaign_id', '=', campaign.id)
            .where('cell_id', '=', cell.cellId)
            .execute();
        }
        const row = await tx
          .selectFrom('campaigns')
          .selectAll()
          .where('id', '=', campaign.id)
          .executeTakeFirstOrThrow();
        return toCampaign(row);
      }),
    getCampaign: async (idOrName) => {
      const byId = await getById(idOrName);
      if (byId) return byId;
      const row = await db
        .selectFrom('campaigns')
        .selectAll()
        .where('name', '=', idOrName)
        .orderBy('updated_at', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? toCampaign(row) : undefined;
    },
    listCampaigns: async () =>
      (await db.selectFrom('campaigns').selectAll().orderBy('updated_at', 'desc').orderBy('id').execute()).map(
        toCampaign,
      ),
    listCampaignCells: async (campaignId) =>
      (
        await db
          .selectFrom('campaign_cells')
          .selectAll()
          .where('campaign_id', '=', campaignId)
          .orderBy('position')
          .orderBy('cell_id')
          .execute()
      ).map(toCell),
    markCellRunning: (campaignId, cellId, runId, at = new Date()) =>
      db.transaction().execute(async (tx) => {
        const row = await tx
          .selectFrom('campaign_cells')
          .select(['run_ids', 'attempts'])
          .where('campaign_id', '=', campaignId)
          .where('cell_id', '=', cellId)
          .executeTakeFirstOrThrow();
        const runIds = [...((fromJson(row.run_ids) as string[] | undefined) ?? []), runId];
        await tx
          .updateTable('campaign_cells')
          .set({
            state: 'running',
            run_id: runId,
            run_ids: toJson(runIds),
            attempts: Number(row.attempts) + 1,
            error: null,
            updated_at: at.toISOString(),
          })
          .where('campaign_id', '=', campaignId)
          .where('cell_id', '=', cellId)
          .execute();
      }),
    markCellFinished: async (campaignId, cellId, end, at = new Date()) => {
      await db
        .updateTable('campaign_cells')
        .set({ state: end.state, error: end.error ?? null, updated_at: at.toISOString() })
        .where('campaign_id', '=', campaignId)
        .where('cell_id', '=', cellId)
        .execute();
    },
  };
}

type Guard = <T>(action: string, work: () => Promise<T>) => Promise<T>;

/** The campaign methods with the store's error translation, like every other method. */
export function guardedCampaigns(campaigns: CampaignStore, guard: Guard): CampaignStore {
  return {
    recordCampaign: (campaign, at) => guard('write', () => campaigns.recordCampaign(campaign, at)),
    getCampaign: (idOrName) => guard('read', () => campaigns.getCampaign(idOrName)),
    listCampaigns: () => guard('read', () => campaigns.listCampaigns()),
    listCampaignCells: (id) => guard('read', () => campaigns.listCampaignCells(id)),
    markCellRunning: (id, cell, run, at) => guard('write', () => campaigns.markCellRunning(id, cell, run, at)),
    markCellFinished: (id, cell, end, at) => guard('write', () => campaigns.markCellFinished(id, cell, end, at)),
  };
}
