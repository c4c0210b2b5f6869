import { KittError } from '../../core/errors.js';
import type { Store, StoredRun } from '../../store/store-types.js';
import { resolveRunId } from '../shared/run-listing.js';

/** Where a run stands in its series, as `kitt run --repeat` records it in the run's config. */
export interface SeriesMark {
  readonly group: string;
  readonly index: number;
  readonly of: number;
}

/**
 * One side of a comparison: a run alone, or a series of repeats with its runs in repeat order.
 * `completed` are the runs that succeeded, the only ones whose figures count (as in repeats.json).
 */
export type ComparedSide =
  | { readonly kind: 'run'; readonly id: string; readonly run: StoredRun; readonly mark: SeriesMark | undefined }
  | {
      readonly kind: 'series';
      readonly id: string;
      readonly runs: readonly StoredRun[];
      readonly completed: readonly StoredRun[];
    };

/** The series mark in a stored run's config, when the run is a repeat. */
export function seriesMarkOf(run: StoredRun): SeriesMark | undefined {
  const repeat = (run.config as { repeat?: Partial<SeriesMark> } | null | undefined)?.repeat;
  return typeof repeat?.group === 'string' && typeof repeat.index === 'number' && typeof repeat.of === 'number'
    ? { group: repeat.group, index: repeat.index, of: repeat.of }
    : undefined;
}

function seriesSide(id: string, members: readonly StoredRun[]): ComparedSide {
  const runs = [...members].sort((a, b) => (seriesMarkOf(a)?.index ?? 0) - (seriesMarkOf(b)?.index ?? 0));
  return { kind: 'series', id, runs, completed: runs.filter((run) => run.status === 'succeeded') };
}

/**
 * Reads the sides named on the command line. A name is a run id, a series id, or a prefix of
 * either that names one alone; a prefix that matches one series and only runs of that series
 * names the series (a series id and its first run's id share their timestamp). With `series`, a
 * run that is a repeat stands for its whole series. Unknown and ambiguous names are usage errors of
 * one line, as for every run id.
 */
export async function resolveComparedSides(
  store: Pick<Store, 'getRun' | 'listRuns' | 'location'>,
  names: readonly string[],
  options: { readonly series?: boolean } = {},
): Promise<ComparedSide[]> {
  // The store has no series query; every run is read once (a few thousand rows at most in practice).
  const all = await store.listRuns({ limit: 1_000_000 });
  const groups = new Map<string, StoredRun[]>();
  for (const run of all) {
    const mark = seriesMarkOf(run);
    if (mark) groups.set(mark.group, [...(groups.get(mark.group) ?? []), run]);
  }
  const sides: ComparedSide[] = [];
  for (const name of names) sides.push(await resolveOne(store, all, groups, name, options.series ?? false));
  return sides;
}

async function resolveOne(
  store: Pick<Store, 'getRun' | 'listRuns' | 'location'>,
  all: readonly StoredRun[],
  groups: ReadonlyMap<string, StoredRun[]>,
  name: string,
  wholeSeries: boolean,
): Promise<ComparedSide> {
  const exactGroup = groups.get(name);
  if (exactGroup && !all.some((run) => run.id === name)) return seriesSide(name, exactGroup);
  const matchingGroups = name === '' ? [] : [...groups.keys()].filter((group) => group.startsWith(name));
  const exactRun = all.find((run) => run.id === name);
  if (!exactRun && matchingGroups.length > 0) {
    const matchingRuns = all.filter((run) => run.id.startsWith(name));
    const only = matchingGroups.length === 1 ? matchingGroups[0]! : undefined;
    if (only && matchingRuns.every((run) => seriesMarkOf(run)?.group === only)) {
      return seriesSide(only, groups.get(only)!);
    }
    const names = [...matchingGroups.map((group) => `series ${group}`), ...matchingRuns.map((run) => run.id)];
    const more = names.length > 5 ? ` and ${names.length - 5} more` : '';
    throw new KittError('USAGE', `${name} is ambiguous: ${names.slice(0, 5).join(', ')}${more}`, {
      hint: 'give more of the id',
    });
  }
  const run = exactRun ?? (await store.getRun(await resolveRunId(store, name)));
  if (!run)
    throw new KittError('USAGE', `no run ${name} in ${store.location}`, {
      hint: 'kitt results list shows the recorded runs',
    });
  const mark = seriesMarkOf(run);
  if (wholeSeries && mark) return seriesSide(mark.group, groups.get(mark.group) ?? [run]);
  return { kind: 'run', id: run.id, run, mark };
}
