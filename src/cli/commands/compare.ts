import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { compareStoredRuns } from '../../app/compare/compare-stored-runs.js';
import { openRunStore } from '../../app/shared/open-run-store.js';
import { loadConfig } from '../../config/load-config.js';
import { KittError } from '../../core/errors.js';
import { renderComparisonHtml } from '../../export/compare-html.js';
import { DEFAULT_RESAMPLES } from '../../metrics/bootstrap.js';
import { COMPARE_METRICS, type CompareMetric } from '../../metrics/compare-runs.js';
import { defaultStorePath } from '../../store/open-store.js';
import type { CliContext } from '../cli-context.js';
import { renderComparison } from './compare-render.js';

interface CompareFlags {
  readonly metric?: readonly CompareMetric[];
  readonly alpha: number;
  readonly noise: number;
  readonly resamples: number;
  readonly seed: number;
  readonly force?: boolean;
  readonly series?: boolean;
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

/** `kitt compare RUN RUN…`: is a run (or a series of repeats) really faster than the baseline, metric by metric. */
export function registerCompareCommand(program: Command, context: CliContext): void {
  program
    .command('compare')
    .description(
      'compare recorded runs or series of repeats with the first: differences with intervals, a test, a verdict',
    )
    .argument(
      '<runs...>',
      'run ids, series ids (kitt run --repeat) or unique prefixes of either; the first is the baseline',
    )
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
    .option('--series', 'a run that is a repeat stands for its whole series')
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
        '  kitt compare SERIES_A SERIES_B              two kitt run --repeat series: runs as the unit (Welch)',
        '  kitt compare RUN_OF_A RUN_OF_B --series     the same, naming any repeat of each series',
        '',
        'Two series of two or more completed repeats are compared across runs; anything else request by',
        'request. Lower latency and higher throughput are faster. docs/compare.md explains the statistics.',
      ].join('\n'),
    )
    .action(async (ids: string[], flags: CompareFlags) => {
      if (ids.length < 2) throw usage('compare needs at least two runs', 'e.g. kitt compare BASELINE CANDIDATE');
      const { config, home } = loadConfig({ env: context.env, explicitPath: flags.config });
      await using store = await openRunStore(config.store.url ?? defaultStorePath(home));
      const result = await compareStoredRuns(store, {
        names: ids,
        metrics: flags.metric,
        alpha: flags.alpha,
        noise: flags.noise,
        resamples: flags.resamples,
        seed: flags.seed,
        force: flags.force,
        series: flags.series,
      });
      if (flags.html) await writeHtml(resolve(flags.html), renderComparisonHtml(result));
      if (flags.json) {
        context.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      context.stdout.write(renderComparison(result));
      if (flags.html) context.stdout.write(`wrote ${resolve(flags.html)}\n`);
    });
}
