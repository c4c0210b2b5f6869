import { planLoad } from '../load/load-plan.js';
import type { LoadSpec } from '../load/load-spec.js';
import type { CampaignEngineEntry, CampaignLimitsEntry } from './campaign-file.js';
import { contentHash } from './content-hash.js';

/** An engine of the matrix with its mode resolved (the catalog's default when the file names none). */
export interface CellEngine extends Omit<CampaignEngineEntry, 'mode'> {
  readonly mode: string;
}

/** A limits profile and its stable name (`1cpu-2GiB`, `nolimit`), the key calibration uses. */
export interface CellLimits {
  readonly key: string;
  readonly profile: CampaignLimitsEntry;
}

/** A load as `kitt run`'s load flags (strings), and the spec those flags make. */
export interface CellLoad {
  readonly flags: Readonly<Record<string, string>>;
  readonly spec: LoadSpec;
}

/** What a campaign is made of, each ingredient validated by the grammar `kitt run` uses. */
export interface CampaignIngredients {
  readonly name: string;
  /** Model paths; `''` stands for the synthetic default model. */
  readonly models: readonly string[];
  readonly engines: readonly CellEngine[];
  readonly limits: readonly CellLimits[];
  readonly loads: readonly CellLoad[];
  readonly repeats: number;
  /** SLOs as written (`ttft=500ms,tpot=50ms`): judged in the report, not part of what is run. */
  readonly slos: readonly string[];
  readonly constraints: { readonly hosts?: readonly string[]; readonly gpuTypes?: readonly string[] };
}

/** What one cell runs: one `kitt run`. This is what its id is the hash of. */
export interface CellContent {
  readonly model: string;
  readonly engine: CellEngine;
  readonly limits: CampaignLimitsEntry;
  readonly load: Readonly<Record<string, string>>;
  readonly repeat: number;
}

/** How long a cell is expected to take: its load's duration and the engine's start, in seconds. */
export interface CellEstimate {
  readonly loadS: number;
  readonly startS: number;
  readonly totalS: number;
  /** The load's duration depends on the engine (a count of requests): estimated at 1 s a request per slot. */
  readonly loadGuessed: boolean;
}

export interface CampaignCell {
  /** The hash of the cell's content: the same cell keeps its id when the file is reordered. */
  readonly id: string;
  /** Where the cell stands in the file's cross product (models × engines × limits × loads × repeats). */
  readonly position: number;
  readonly content: CellContent;
  /** The labels of its row (model, engine, limits) and column (load) in the report's tables. */
  readonly labels: {
    readonly model: string;
    readonly engine: string;
    readonly limits: string;
    readonly load: string;
  };
  readonly estimate: CellEstimate;
}

export interface CampaignPlan {
  readonly name: string;
  /** The hash of the cells' ids: the same cells, in any order, make the same campaign. */
  readonly contentHash: string;
  /** `<name>-<first 8 digits of the content hash>`: the campaign in the store and its folder. */
  readonly id: string;
  readonly cells: readonly CampaignCell[];
  readonly slos: readonly string[];
  readonly constraints: CampaignIngredients['constraints'];
  readonly totalEstimateS: number;
}

/**
 * Seconds an engine takes to start, by mode: a container pulls nothing here (images are checked
 * before) but loads its model inside Docker; a host process or kitt's own child loads it directly.
 */
const START_ESTIMATE_S: Readonly<Record<string, number>> = { docker: 30, native: 10, embedded: 5 };
const DEFAULT_START_S = 10;
/** A count-limited closed loop lasts as long as the engine takes: 1 s a request per slot is the guess. */
const SECONDS_PER_REQUEST = 1;

/** The load's own duration where it has one (warmup included), else requests × 1 s over the slots. */
export function estimateCell(engine: CellEngine, load: LoadSpec): CellEstimate {
  const plan = planLoad(load);
  const startS = START_ESTIMATE_S[engine.mode] ?? DEFAULT_START_S;
  const guessed = plan.durationS === null;
  const loadS = guessed
    ? ((plan.requests ?? load.requests ?? 32) * SECONDS_PER_REQUEST) / Math.max(1, plan.maxConcurrency ?? 1)
    : plan.durationS!;
  return { loadS, startS, totalS: loadS + startS, loadGuessed: guessed };
}

export function engineLabel(engine: CellEngine): string {
  const extras = [
    engine.parallel !== undefined ? `parallel=${engine.parallel}` : undefined,
    engine.threads !== undefined ? `threads=${engine.threads}` : undefined,
    engine.image !== undefined ? `image=${engine.image}` : undefined,
    ...(engine.args ?? []),
  ].filter((part): part is string => part !== undefined);
  return [`${engine.name}/${engine.mode}`, ...extras].join(' ');
}

/** `constant-rate rate=2 duration=30s`: the load's kind, then its other fields as written. */
export function loadLabel(flags: Readonly<Record<string, string>>): string {
  const { load, ...rest } = flags;
  const fields = Object.entries(rest).map(([key, value]) => `${key}=${value}`);
  return [load ?? 'default load', ...fields].join(' ');
}

function modelLabel(model: string): string {
  return model === '' ? 'default model' : (model.split('/').filter(Boolean).at(-1) ?? model);
}

/**
 * The cross product of the matrix, in the file's order (models, then engines, limits, loads and
 * repeats, the last turning fastest), each cell with its content hash as id and its estimate. Pure:
 * the same ingredients give the same plan.
 */
export function planCampaign(ingredients: CampaignIngredients): CampaignPlan {
  const cells: CampaignCell[] = [];
  for (const model of ingredients.models) {
    for (const engine of ingredients.engines) {
      for (const limits of ingredients.limits) {
        for (const load of ingredients.loads) {
          for (let repeat = 1; repeat <= ingredients.repeats; repeat++) {
            const content: CellContent = { model, engine, limits: limits.profile, load: load.flags, repeat };
            cells.push({
              id: contentHash(content),
              position: cells.length,
              content,
              labels: {
                model: modelLabel(model),
                engine: engineLabel(engine),
                limits: limits.key,
                load: loadLabel(load.flags),
              },
              estimate: estimateCell(engine, load.spec),
            });
          }
        }
      }
    }
  }
  const hash = contentHash(cells.map((cell) => cell.id).sort(), 16);
  return {
    name: ingredients.name,
    contentHash: hash,
    id: `${ingredients.name}-${hash.slice(0, 8)}`,
    cells,
    slos: ingredients.slos,
    constraints: ingredients.constraints,
    totalEstimateS: cells.reduce((sum, cell) => sum + cell.estimate.totalS, 0),
  };
}
