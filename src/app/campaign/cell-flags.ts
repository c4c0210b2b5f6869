import type { CampaignLimitsEntry, CampaignLoadEntry } from '../../campaign/campaign-file.js';
import type { CellContent, CellEngine } from '../../campaign/plan-campaign.js';
import type { RunFlags } from '../run/run-plan.js';
import type { EngineFlags } from '../shared/engine-options.js';
import type { LoadFlags } from '../shared/load-options.js';

/**
 * A cell is one `kitt run`: its load, engine and limits become the flags that command takes, as
 * commander would hand them over (strings), so the run is planned by `planRun` like any other.
 */

const asFlag = (value: string | number | readonly (string | number)[] | undefined): string | undefined =>
  value === undefined ? undefined : Array.isArray(value) ? value.join(',') : String(value);

/** Drops the fields that were not given, so equal loads have equal flags (and equal cell ids). */
function defined(entries: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined)) as Record<
    string,
    string
  >;
}

/** `matrix.loads[i]` as `kitt run`'s load flags. */
export function loadFlagsOf(entry: CampaignLoadEntry): LoadFlags & Record<string, string> {
  return defined(Object.fromEntries(Object.entries(entry).map(([key, value]) => [key, asFlag(value)])));
}

/** `matrix.limits[i]` as the limit flags (`--cpus`, `--memory`, `--gpus` ...). */
export function limitsFlagsOf(profile: CampaignLimitsEntry): EngineFlags {
  return defined({
    cpus: asFlag(profile.cpus),
    memory: profile.memory,
    memorySwap: profile.memorySwap,
    pids: asFlag(profile.pids),
    gpus: asFlag(profile.gpus),
  });
}

/** `matrix.engines[i]` as the engine flags (`-e`, `--mode`, `--engine-arg` ...). */
export function engineFlagsOf(engine: Omit<CellEngine, 'mode'> & { mode?: string | undefined }): EngineFlags {
  return {
    ...defined({
      engine: engine.name,
      mode: engine.mode,
      parallel: asFlag(engine.parallel),
      threads: asFlag(engine.threads),
      image: engine.image,
    }),
    ...(engine.args && engine.args.length > 0 ? { engineArg: [...engine.args] } : {}),
  };
}

/** The whole `kitt run` of a cell; the first SLO of the campaign is the run's own (its summary shows goodput). */
export function runFlagsOf(content: CellContent, slo: string | undefined): RunFlags {
  return {
    ...content.load,
    ...engineFlagsOf(content.engine),
    ...limitsFlagsOf(content.limits),
    ...(content.model !== '' ? { model: content.model } : {}),
    ...(slo !== undefined ? { slo } : {}),
  };
}
