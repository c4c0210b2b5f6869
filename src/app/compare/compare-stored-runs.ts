import { KittError } from '../../core/errors.js';
import { DEFAULT_RESAMPLES } from '../../metrics/bootstrap.js';
import {
  type ComparedRun,
  type ComparedSideInfo,
  type CompareMetric,
  type ComparisonReport,
  compareRuns,
  type RepeatLevelComparison,
  type RequestLevelComparison,
  SINGLE_RUN_CAVEAT,
} from '../../metrics/compare-runs.js';
import { type ComparedSeries, compareRepeats } from '../../metrics/compare-runs-repeats.js';
import { type Comparability, judgeComparability } from '../../metrics/run-comparability.js';
import { summarizeRepeats } from '../../metrics/summarize-repeats.js';
import type { Store, StoredRun } from '../../store/store-types.js';
import { type ComparedSide, resolveComparedSides } from './compared-side.js';
import { factsOf, readStoredRecords, storedRates, storedRunMetrics } from './read-stored-run.js';

/** What a comparison is asked: the figures, the level, the noise band and the bootstrap's draws. */
export interface CompareRequest {
  /** Run ids, series ids or unique prefixes; the first is the baseline. */
  readonly names: readonly string[];
  readonly metrics?: readonly CompareMetric[] | undefined;
  readonly alpha: number;
  readonly noise: number;
  readonly resamples?: number | undefined;
  readonly seed?: number | undefined;
  /** Compare runs of different models anyway. */
  readonly force?: boolean | undefined;
  /** A run that is a repeat stands for its whole series. */
  readonly series?: boolean | undefined;
}

const usage = (message: string, hint: string) => new KittError('USAGE', message, { hint });

/** The runs a side stands for: the run alone, or the series' completed repeats. */
const runsOf = (side: ComparedSide): readonly StoredRun[] => (side.kind === 'run' ? [side.run] : side.completed);

/** Two sides are compared across repeats when both are series of at least two completed repeats. */
const hasRepeats = (side: ComparedSide) => side.kind === 'series' && side.completed.length >= 2;

function infoOf(side: ComparedSide): ComparedSideInfo {
  return { kind: side.kind, id: side.id, runIds: runsOf(side).map((run) => run.id) };
}

function seriesOf(side: ComparedSide): ComparedSeries {
  const metrics = runsOf(side).flatMap((run) => storedRunMetrics(run) ?? []);
  return { id: side.id, repeats: metrics.length, statistics: summarizeRepeats(metrics) };
}

/**
 * A side as request-level compare reads it: its requests (a series' completed repeats pooled) and
 * its rates (their mean over the repeats that have one).
 */
async function requestsOf(side: ComparedSide): Promise<ComparedRun> {
  const runs = runsOf(side);
  const records = [];
  for (const run of runs) records.push(...(await readStoredRecords(run)));
  const meanOf = (values: (number | null)[]) => {
    const known = values.filter((v): v is number => v !== null);
    return known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : null;
  };
  const rates = runs.map(storedRates);
  return {
    id: side.id,
    records,
    rates: { throughput: meanOf(rates.map((r) => r.throughput)), goodput: meanOf(rates.map((r) => r.goodput)) },
  };
}

/** Why a pair is compared request by request though a side has repeats, or could have. */
function requestLevelNotes(baseline: ComparedSide, candidate: ComparedSide): string[] {
  const notes: string[] = [];
  for (const [side, other] of [
    [baseline, candidate],
    [candidate, baseline],
  ] as const) {
    if (side.kind === 'series') {
      const n = side.completed.length;
      const otherIs = other.kind === 'run' ? 'is a single run' : 'has fewer than two completed repeats';
      notes.push(
        n >= 2
          ? `series ${side.id} has ${n} completed repeats but the other side ${otherIs}: compared request by request, its repeats' requests pooled; compare it with another series to compare across runs`
          : `series ${side.id} has ${n} completed repeat${n === 1 ? '' : 's'}: too few for a spread between runs, compared request by request`,
      );
    } else if (side.mark) {
      notes.push(
        `run ${side.id} is repeat ${side.mark.index}/${side.mark.of} of series ${side.mark.group}: name the series (or pass --series) to compare across repeats`,
      );
    }
  }
  return notes;
}

function requestMethod(request: CompareRequest): string {
  const level = `${((1 - request.alpha) * 100).toFixed(0)} %`;
  return (
    `${level} intervals by percentile bootstrap over requests (B = ${request.resamples ?? DEFAULT_RESAMPLES}, seed ${request.seed ?? 1}); ` +
    'Mann–Whitney U (normal approximation, tie-corrected) on per-request values; ' +
    `faster/slower only when p < ${request.alpha} and the whole p50 interval lies beyond ±${(request.noise * 100).toFixed(1)} %`
  );
}

function repeatsMethod(request: CompareRequest): string {
  const level = `${((1 - request.alpha) * 100).toFixed(0)} %`;
  return (
    `runs as the unit: each completed repeat gives one value per figure; ${level} Welch t-interval of the difference of means ` +
    `(Welch–Satterthwaite degrees of freedom), shown relative to the baseline mean; Welch's t-test; ` +
    `faster/slower only when p < ${request.alpha} and the whole interval of the primary figure (p50, output tok/s, goodput) lies beyond ±${(request.noise * 100).toFixed(1)} %`
  );
}

function checkSides(sides: readonly ComparedSide[]): void {
  for (const side of sides) {
    if (side.kind === 'series' && side.completed.length === 0) {
      throw usage(
        `series ${side.id} has no completed repeat (${side.runs.length} stored, none succeeded)`,
        'compare a series with at least one repeat that succeeded',
      );
    }
  }
}

async function compareSides(
  baseline: ComparedSide,
  candidate: ComparedSide,
  comparability: Comparability,
  request: CompareRequest,
): Promise<RequestLevelComparison | RepeatLevelComparison> {
  const options = {
    ...(request.metrics ? { metrics: request.metrics } : {}),
    alpha: request.alpha,
    noise: request.noise,
  };
  if (hasRepeats(baseline) && hasRepeats(candidate)) {
    const comparison = compareRepeats(seriesOf(baseline), seriesOf(candidate), options);
    return { ...comparison, unit: 'repeats', comparability, notes: [] };
  }
  const comparison = compareRuns(await requestsOf(baseline), await requestsOf(candidate), {
    ...options,
    resamples: request.resamples ?? DEFAULT_RESAMPLES,
    seed: request.seed ?? 1,
  });
  return { ...comparison, unit: 'requests', comparability, notes: requestLevelNotes(baseline, candidate) };
}

/**
 * `kitt compare`'s use case: each later side against the first, across repeats when both are
 * series of two or more completed repeats, request by request otherwise. Runs of different models
 * are refused unless forced. Returns data; the shell renders it.
 */
export async function compareStoredRuns(
  store: Pick<Store, 'getRun' | 'listRuns' | 'location'>,
  request: CompareRequest,
): Promise<ComparisonReport> {
  if (request.names.length < 2) throw usage('compare needs at least two runs', 'e.g. kitt compare BASELINE CANDIDATE');
  const sides = await resolveComparedSides(store, request.names, { series: request.series ?? false });
  checkSides(sides);
  const [baseline, ...candidates] = sides as [ComparedSide, ...ComparedSide[]];
  // a series' repeats share one config, so its first completed repeat speaks for its facts
  const judged = candidates.map((candidate) => ({
    candidate,
    comparability: judgeComparability(factsOf(runsOf(baseline)[0]!), factsOf(runsOf(candidate)[0]!)),
  }));
  const refused = judged.find((j) => j.comparability.refusal !== null);
  if (refused && !request.force) throw usage(refused.comparability.refusal!, 'pass --force to compare them anyway');
  const comparisons = [];
  for (const { candidate, comparability } of judged) {
    comparisons.push(await compareSides(baseline, candidate, comparability, request));
  }
  const anyRequests = comparisons.some((c) => c.unit === 'requests');
  const anyRepeats = comparisons.some((c) => c.unit === 'repeats');
  return {
    baseline: baseline.id,
    sides: sides.map(infoOf),
    comparisons,
    method: {
      ...(anyRequests ? { requests: requestMethod(request) } : {}),
      ...(anyRepeats ? { repeats: repeatsMethod(request) } : {}),
    },
    caveat: anyRequests ? SINGLE_RUN_CAVEAT : null,
  };
}
