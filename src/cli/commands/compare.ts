import { createReadStream } from 'node:fs';
import { access, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { type Command, Option } from 'commander';
import { resolveRunId } from '../../app/shared/run-listing.js';
import { loadConfig } from '../../config/load-config.js';
import { KittError } from '../../core/errors.js';
import { renderComparisonHtml } from '../../export/compare-html.js';
import { DEFAULT_RESAMPLES } from '../../metrics/bootstrap.js';
import {
  COMPARE_METRICS,
  type ComparedRun,
  type CompareMetric,
  type ComparisonReport,
  compareRuns,
  SINGLE_RUN_CAVEAT,
} from '../../metrics/compare-runs.js';
import type { RequestRecord } from '../../metrics/request-record.js';
import { judgeComparability, type RunFacts } from '../../metrics/run-comparability.js';
import { parseRecordLine } from '../../metrics/serialize-record.js';
import { defaultStorePath, openStore } from '../../store/open-store.js';
import type { Store, StoredRun } from '../../store/store-types.js';
import type { CliContext } from '../cli-context.js';
import { renderComparison } from './compare-render.js';

interface CompareFlags {
  readonly metric?: readonly CompareMetric[];
  readonly alpha: number;
  readonly noise: number;
  readonly resamples: number;
  readonly seed: number;
  readonly force?: boolean;
  readonly json?: boolean;
  readonly html?: string;
  readonly config?: string;
}

function usage(message: string, hint: string): KittError {
  return new KittError('USAGE', message, { hint });
}

function parseMetrics(value: string): CompareMetric[] {
  const names = value.split(',').map((name) => name.trim().toLowerCase());
  const unknown = names.filter((name) => !(COMPARE_METRICS as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw usage(`--metric ${value}: unknown metric ${unknown.join(', ')}`, `choose from ${COMPARE_METRICS.join(',')}`);
  }
  return names as CompareMetric[];
}

function parseAlpha(value: string): number {
  const alpha = Number(value);
  if (!(alpha > 0 && alpha < 0.5))
    throw usage(`--alpha ${value} is not a level between 0 and 0.5`, 'e.g. --alpha 0.05');
  return alpha;
}

/** `2%` or a fraction such as `0.02`; a bare number of 1 or more would be ambiguous. */
function parseNoise(value: string): number {
  const percent = value.trim().endsWith('%');
  const number = Number(percent ? value.trim().slice(0, -1) : value);
  const fraction = percent ? number / 100 : number;
  if (!(Number.isFinite(number) && fraction >= 0 && fraction < 1)) {
    throw usage(`--noise ${value} is not a relative threshold`, 'e.g. --noise 2% or --noise 0.02');
  }
  return fraction;
}

function parseWhole(flag: string, least: number) {
  return (value: string): number => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < least) {
      throw usage(
        `${flag} ${value} is not a whole number of at least ${least}`,
        `e.g. ${flag} ${Math.max(least, 2000)}`,
      );
    }
    return number;
  };
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

async function readRecords(run: StoredRun): Promise<RequestRecord[]> {
  const path = run.resultPath ? join(run.resultPath, 'requests.jsonl') : undefined;
  if (!path || !(await exists(path))) {
    throw usage(
      `run ${run.id} has no requests.jsonl${path ? ` at ${path}` : ''}`,
      'compare needs the per-request records of each run; results written by kitt run keep them',
    );
  }
  const records: RequestRecord[] = [];
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  let number = 0;
  for await (const line of lines) {
    number++;
    if (line.trim() === '') continue;
    try {
      records.push(parseRecordLine(line));
    } catch (error) {
      throw usage(
        `${path}:${number} is not a request record: ${(error as Error).message}`,
        'restore the file kitt wrote',
      );
    }
  }
  return records;
}

const objectAt = (value: unknown, key: string): Record<string, unknown> | undefined => {
  const inner = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return inner !== null && typeof inner === 'object' ? (inner as Record<string, unknown>) : undefined;
};
const numberAt = (value: Record<string, unknown> | undefined, key: string): number | null =>
  typeof value?.[key] === 'number' ? (value[key] as number) : null;

/** What decides comparability, from the stored run and the document written beside its metrics. */
export function factsOf(run: StoredRun): RunFacts {
  const load = objectAt(run.metrics, 'load');
  const { prompts, ...loadShape } = load ?? {};
  const image = objectAt(objectAt(run.config, 'engines'), run.engine)?.image;
  return {
    id: run.id,
    model: run.model,
    modelSha256: run.modelSha256,
    engine: run.engine,
    mode: run.mode,
    engineImage: typeof image === 'string' ? image : undefined,
    hardwareFingerprint: run.hardwareFingerprint,
    limits: run.limits ?? undefined,
    loadShape: load ? loadShape : undefined,
    prompts: load ? prompts : undefined,
  };
}

async function comparedRun(run: StoredRun): Promise<ComparedRun> {
  const metrics = objectAt(run.metrics, 'metrics');
  return {
    id: run.id,
    records: await readRecords(run),
    rates: {
      throughput: numberAt(objectAt(metrics, 'throughput'), 'outputTokensPerS'),
      goodput: numberAt(objectAt(metrics, 'slo'), 'goodputRequestsPerS'),
    },
  };
}

/** Compares each later run with the first; different models are refused unless forced. */
export async function compareStoredRuns(
  store: Store,
  ids: readonly string[],
  flags: CompareFlags,
): Promise<ComparisonReport> {
  const runs = [];
  for (const id of ids) {
    const run = await store.getRun(await resolveRunId(store, id));
    if (run) runs.push(run);
  }
  const [baseline, ...candidates] = runs as [StoredRun, ...StoredRun[]];
  const judged = candidates.map((candidate) => ({
    candidate,
    ...judgeComparability(factsOf(baseline), factsOf(candidate)),
  }));
  const refused = judged.find((j) => j.refusal !== null);
  if (refused && !flags.force) throw usage(refused.refusal!, 'pass --force to compare them anyway');
  const base = await comparedRun(baseline);
  const comparisons = [];
  for (const { candidate, refusal, warnings } of judged) {
    const comparison = compareRuns(base, await comparedRun(candidate), {
      ...(flags.metric ? { metrics: flags.metric } : {}),
      alpha: flags.alpha,
      noise: flags.noise,
      resamples: flags.resamples,
      seed: flags.seed,
    });
    comparisons.push({ ...comparison, comparability: { refusal, warnings } });
  }
  return { baseline: baseline.id, comparisons, method: methodLine(flags), caveat: SINGLE_RUN_CAVEAT };
}

function methodLine(flags: CompareFlags): string {
  const level = `${((1 - flags.alpha) * 100).toFixed(0)} %`;
  return (
    `${level} intervals by percentile bootstrap over requests (B = ${flags.resamples}, seed ${flags.seed}); ` +
    'Mann–Whitney U (normal approximation, tie-corrected) on per-request values; ' +
    `faster/slower only when p < ${flags.alpha} and the whole p50 interval lies beyond ±${(flags.noise * 100).toFixed(1)} %`
  );
}

async function writeHtml(path: string, html: string): Promise<void> {
  try {
    await writeFile(path, html);
  } catch (error) {
    throw new KittError('EXPORT_FAILED', `could not write ${path}: ${(error as Error).message}`, {
      hint: 'give --html a file in a writable folder',
      cause: error,
    });
  }
}

/** `kitt compare RUN RUN…`: is a run really faster than the baseline, metric by metric. */
export function registerCompareCommand(program: Command, context: CliContext): void {
  program
    .command('compare')
    .description('compare recorded runs with the first one: differences with intervals, a rank test, a verdict')
    .argument('<runs...>', 'run ids or unique prefixes (kitt results list); the first is the baseline')
    .option('--metric <list>', `metrics to compare: ${COMPARE_METRICS.join(',')} (default all)`, parseMetrics)
    .option('--alpha <level>', 'significance level; intervals are at 1 - alpha', parseAlpha, 0.05)
    .addOption(
      new Option('--noise <threshold>', 'changes whose interval reaches inside ±threshold are noise (2% or 0.02)')
        .argParser(parseNoise)
        .default(0.02, '2%'),
    )
    .option('--resamples <B>', 'bootstrap resamples', parseWhole('--resamples', 100), DEFAULT_RESAMPLES)
    .option('--seed <n>', 'seed of the bootstrap (same seed, same intervals)', parseWhole('--seed', 0), 1)
    .option('--force', 'compare runs of different models anyway')
    .option('--config <path>', 'read this config file (for store.url)')
    .option('--json', 'print JSON')
    .option('--html <file>', 'also write the comparison as one self-contained HTML file')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  kitt compare 20261201T0930 20261201T1412     is the afternoon run faster? (id prefixes)',
        '  kitt compare BASE NEW1 NEW2 --metric ttft,itl',
        '  kitt compare BASE NEW --alpha 0.01 --noise 5%',
        '  kitt compare BASE NEW --json',
        '  kitt compare BASE NEW --html compare.html   the same, with each interval drawn against the noise band',
        '',
        'Lower latency is faster. docs/compare.md explains the statistics.',
      ].join('\n'),
    )
    .action(async (ids: string[], flags: CompareFlags) => {
      if (ids.length < 2) throw usage('compare needs at least two runs', 'e.g. kitt compare BASELINE CANDIDATE');
      const { config, home } = loadConfig({ env: context.env, explicitPath: flags.config });
      await using store = await openStore(config.store.url ?? defaultStorePath(home));
      const result = await compareStoredRuns(store, ids, flags);
      if (flags.html) await writeHtml(resolve(flags.html), renderComparisonHtml(result));
      if (flags.json) {
        context.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      context.stdout.write(renderComparison(result));
      if (flags.html) context.stdout.write(`wrote ${resolve(flags.html)}\n`);
    });
}
