import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { type CampaignFile, readCampaignFile } from '../../campaign/campaign-file.js';
import {
  type CampaignPlan,
  type CellEngine,
  type CellLimits,
  type CellLoad,
  planCampaign,
} from '../../campaign/plan-campaign.js';
import type { KittConfig } from '../../config/config-schema.js';
import { KittError } from '../../core/errors.js';
import { OptionIssues } from '../../core/option-issues.js';
import { readSlo } from '../../metrics/slo.js';
import { limitsKey } from '../shared/calibrated-rate.js';
import { defaultModeFor, readEngineRequest, readLimits } from '../shared/engine-options.js';
import { readLoadSpec } from '../shared/load-options.js';
import { engineFlagsOf, limitsFlagsOf, loadFlagsOf } from './cell-flags.js';

const kebab = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * Reads one entry of the matrix with a parser of `kitt run`'s flags, and files each of its problems
 * under the entry's path: a problem naming `--rate` becomes `matrix.loads[1].rate: ...`.
 */
function scoped<T>(
  issues: OptionIssues,
  path: string,
  keys: Readonly<Record<string, string>>,
  read: (inner: OptionIssues) => T,
): T {
  const inner = new OptionIssues();
  const value = read(inner);
  for (const issue of inner.list) {
    const flag = /--[a-z][a-z-]*/.exec(issue.problem)?.[0];
    const key = flag === undefined ? undefined : keys[flag];
    issues.add(`${path}${key ? `.${key}` : ''}: ${issue.problem}`, issue.fix, issue.code);
  }
  return value;
}

const flagKeys = (keys: readonly string[], extra: Record<string, string> = {}) => ({
  ...Object.fromEntries(keys.map((key) => [kebab(key), key])),
  ...extra,
});

function readEngines(file: CampaignFile, issues: OptionIssues): CellEngine[] {
  const keys = flagKeys(['mode', 'parallel', 'threads', 'image'], { '--engine-arg': 'args' });
  return file.matrix.engines.flatMap((entry, index) => {
    const request = scoped(issues, `matrix.engines[${index}]`, keys, (inner) =>
      readEngineRequest(engineFlagsOf(entry), { runId: 'campaign-plan', env: {} }, inner),
    );
    if (!request) return [];
    const { args, ...rest } = entry;
    return [{ ...rest, mode: entry.mode ?? defaultModeFor(request.engine), ...(args?.length ? { args } : {}) }];
  });
}

function readLimitProfiles(file: CampaignFile, config: KittConfig, issues: OptionIssues): CellLimits[] {
  const keys = flagKeys(['cpus', 'memory', 'memorySwap', 'pids', 'gpus']);
  return (file.matrix.limits ?? [{}]).map((profile, index) => {
    const limits = scoped(issues, `matrix.limits[${index}]`, keys, (inner) =>
      readLimits(limitsFlagsOf(profile), config.limits, inner),
    );
    return { key: limitsKey(limits), profile };
  });
}

function readLoads(file: CampaignFile, config: KittConfig, base: string, issues: OptionIssues): CellLoad[] {
  return file.matrix.loads.flatMap((entry, index) => {
    const written = loadFlagsOf(entry);
    // a dataset is found beside the campaign file, as a model is
    const flags = written.dataset === undefined ? written : { ...written, dataset: resolve(base, written.dataset) };
    const keys = flagKeys(Object.keys(entry));
    const spec = scoped(issues, `matrix.loads[${index}]`, keys, (inner) => readLoadSpec(flags, config.run.load, inner));
    return spec ? [{ flags, spec }] : [];
  });
}

function readModels(file: CampaignFile, base: string, issues: OptionIssues, where: ModelsOn): string[] {
  return (file.matrix.models ?? ['']).map((model, index) => {
    // on a cluster a model is a path in a claim or on the nodes: nothing here to find or resolve
    if (model === '' || where === 'cluster') return model;
    const path = isAbsolute(model) ? model : resolve(base, model);
    if (!existsSync(path))
      issues.add(`matrix.models[${index}]: ${path} does not exist`, 'give a GGUF file or model folder');
    return path;
  });
}

function readSlos(file: CampaignFile, issues: OptionIssues): string[] {
  return (file.matrix.slos ?? []).filter((text, index) => readSlo(text, issues, `matrix.slos[${index}]`));
}

/** Two entries that make the same cell would run it twice under one id: a problem of the file. */
function checkDistinct(plan: CampaignPlan, issues: OptionIssues): void {
  const seen = new Map<string, string>();
  for (const cell of plan.cells) {
    const label = `${cell.labels.model}, ${cell.labels.engine}, ${cell.labels.limits}, ${cell.labels.load}`;
    if (seen.has(cell.id)) {
      issues.add(`the matrix holds the cell "${label}" twice`, 'remove the repeated entry (use repeats for repeats)');
    }
    seen.set(cell.id, label);
  }
}

/**
 * A plan with the file's fleet priority: kept beside the cells, not in them, so a campaign whose
 * priority changes is the same campaign (same id, same cells).
 */
export type FleetCampaignPlan = CampaignPlan & { readonly priority: number };

/**
 * Reads a campaign file into its plan, reporting every problem at once (one USAGE error, each
 * problem with its path in the file) before anything starts. Paths of models and datasets are
 * taken relative to the file. Loads, engines and limits are read over the config, as `kitt run` reads its flags.
 */
/** Where the cells' models are read: on this host (checked, relative to the file), or on a cluster. */
export type ModelsOn = 'host' | 'cluster';

export function readCampaign(path: string, config: KittConfig, modelsOn: ModelsOn = 'host'): FleetCampaignPlan {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new KittError('USAGE', `campaign file ${path} cannot be read`, {
      hint: 'give the path of a campaign YAML file (docs/campaign.md)',
    });
  }
  return readCampaignText(text, path, config, modelsOn);
}

/**
 * A campaign file's content into its plan, as {@link readCampaign} reads a file: `path` is where the
 * content came from (paths in it are taken relative to its folder) and names it in problems.
 * kitt server plans a campaign submitted to the fleet with it.
 */
export function readCampaignText(
  text: string,
  path: string,
  config: KittConfig,
  modelsOn: ModelsOn = 'host',
): FleetCampaignPlan {
  const issues = new OptionIssues();
  const read = readCampaignFile(text, path, issues);
  if (!read) issues.throwIfAny();
  const file = read!.file;
  const base = dirname(resolve(path));
  const ingredients = {
    name: file.name,
    models: readModels(file!, base, issues, modelsOn),
    engines: readEngines(file!, issues),
    limits: readLimitProfiles(file!, config, issues),
    loads: readLoads(file!, config, base, issues),
    repeats: file.matrix.repeats,
    slos: readSlos(file!, issues),
    constraints: file.constraints ?? {},
  };
  if (!read!.valid && issues.list.length === 0) throw new Error('readCampaign: an invalid file without a problem');
  issues.throwIfAny();
  const plan = planCampaign(ingredients);
  checkDistinct(plan, issues);
  issues.throwIfAny();
  return { ...plan, priority: file.priority ?? 0 };
}
