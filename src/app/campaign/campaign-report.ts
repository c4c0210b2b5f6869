import { writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { CellFigures, ReportCell } from '../../campaign/campaign-matrix.js';
import { type CampaignReportModel, renderCampaignHtml } from '../../campaign/campaign-report-html.js';
import { type CampaignCell, type CellContent, engineLabel } from '../../campaign/plan-campaign.js';
import { KittError } from '../../core/errors.js';
import { ensureWritableDir } from '../../core/kitt-home.js';
import { renderComparisonHtml } from '../../export/compare-html.js';
import { REPORT_FILE } from '../../export/report/write-report.js';
import type { ComparisonReport } from '../../metrics/compare-runs.js';
import type { DistributionSummary } from '../../metrics/latency-histogram.js';
import type { LatencyMetricName } from '../../metrics/metric-histograms.js';
import { parseSlo, percentileTerms, requestBounds } from '../../metrics/slo.js';
import { summarizeRun } from '../../metrics/summarize-run.js';
import type { StoredCampaign, StoredCampaignCell } from '../../store/campaign-store.js';
import type { Store, StoredRun } from '../../store/store-types.js';
import { compareStoredRuns } from '../compare/compare-stored-runs.js';
import { readStoredRecords, storedRunMetrics } from '../compare/read-stored-run.js';

export const CAMPAIGN_REPORT_FILE = 'campaign.html';
export const CAMPAIGN_COMPARE_FILE = 'compare.html';

/** The SLOs the campaign was last run with, as its plan was recorded. */
export function campaignSlos(campaign: StoredCampaign): string[] {
  return ((campaign.plan as { slos?: string[] } | undefined)?.slos ?? []).slice();
}

const NO_FIGURES = (slos: number): CellFigures => ({
  throughput: null,
  ttftP50: null,
  ttftP99: null,
  tpotP50: null,
  goodput: Array(slos).fill(null),
});

/**
 * A run on a cluster keeps its load workers' merged distributions, not one client's records:
 * its latencies come from those (exact: the workers' histogram buckets add). Throughput and
 * goodput stay empty, since the workers' windows were never joined into one.
 */
function clusterFigures(run: StoredRun, slos: number): CellFigures | undefined {
  const distributions = (run.metrics as { distributions?: Partial<Record<LatencyMetricName, DistributionSummary>> })
    ?.distributions;
  if (!distributions?.ttftMs) return undefined;
  return {
    ...NO_FIGURES(slos),
    ttftP50: distributions.ttftMs.p50,
    ttftP99: distributions.ttftMs.p99,
    tpotP50: distributions.tpotMs?.p50 ?? null,
  };
}

const CLUSTER_FIGURES_NOTE =
  'run on a cluster: TTFT and TPOT are merged from its load workers, whose throughput and goodput are not joined into one';

/**
 * The cell's labels with the mode it ran in: a campaign run on a cluster runs every engine as a
 * Pod, whatever mode its file names, and its row should say so.
 */
function labelsAsRun(content: CellContent & { labels: CampaignCell['labels'] }, run: StoredRun | undefined) {
  if (!run || run.mode === content.engine.mode) return content.labels;
  return { ...content.labels, engine: engineLabel({ ...content.engine, mode: run.mode }) };
}

/**
 * Goodput under each SLO, from the run's own records: the run was judged by one SLO (the first),
 * and the others are judged the same way afterwards (metrics/summarizeRun over requests.jsonl).
 */
async function judgeSlos(run: StoredRun, slos: readonly string[]) {
  if (slos.length === 0) return { goodput: [], met: [] };
  const records = await readStoredRecords(run);
  const verdicts = slos.map((text) => {
    const terms = parseSlo(text);
    const summary = summarizeRun(records, { slo: requestBounds(terms), sloPercentiles: percentileTerms(terms) });
    const percentiles = summary.slo?.percentiles ?? [];
    const met =
      percentiles.length === 0
        ? null
        : percentiles.some((p) => p.met === false)
          ? false
          : percentiles.every((p) => p.met === true)
            ? true
            : null;
    return { goodput: summary.slo?.goodputRequestsPerS ?? null, met };
  });
  return { goodput: verdicts.map((v) => v.goodput), met: verdicts.map((v) => v.met) };
}

async function reportCell(
  store: Store,
  cell: StoredCampaignCell,
  slos: readonly string[],
  folder: string,
): Promise<{ cell: ReportCell; run: StoredRun | undefined }> {
  const content = cell.content as CellContent & { labels: CampaignCell['labels'] };
  const run = cell.runId ? await store.getRun(cell.runId) : undefined;
  const base = {
    cellId: cell.cellId,
    position: cell.position,
    labels: labelsAsRun(content, run),
    repeat: content.repeat,
    state: cell.state,
    runId: cell.runId,
  };
  const metrics = run ? storedRunMetrics(run) : undefined;
  if (!run || !metrics || cell.state !== 'succeeded') {
    // a cluster run has figures but no report.html and no records to compare
    const merged = run && cell.state === 'succeeded' ? clusterFigures(run, slos.length) : undefined;
    const figuresNote = merged ? CLUSTER_FIGURES_NOTE : undefined;
    return {
      cell: { ...base, figures: merged ?? NO_FIGURES(slos.length), figuresNote, sloMet: slos.map(() => null) },
      run: undefined,
    };
  }
  const judged = await judgeSlos(run, slos).catch(() => ({ goodput: slos.map(() => null), met: slos.map(() => null) }));
  const figures: CellFigures = {
    throughput: metrics.throughput.outputTokensPerS,
    ttftP50: metrics.ttftMs.p50,
    ttftP99: metrics.ttftMs.p99,
    tpotP50: metrics.tpotMs.p50,
    goodput: judged.goodput,
  };
  const reportHref = run.resultPath ? relative(folder, join(run.resultPath, REPORT_FILE)) : undefined;
  return { cell: { ...base, reportHref, figures, sloMet: judged.met }, run };
}

/** Each succeeded cell against the first succeeded one, through `kitt compare`'s use case. */
async function compareCells(store: Store, runs: readonly StoredRun[]): Promise<ComparisonReport | undefined> {
  if (runs.length < 2) return undefined;
  // the cells of a matrix differ on purpose (models, limits): compare them anyway, the report says how
  return compareStoredRuns(store, { names: runs.map((run) => run.id), alpha: 0.05, noise: 0.02, force: true });
}

function versusFirst(report: ComparisonReport | undefined, runId: string | undefined): ReportCell['versusFirst'] {
  const comparison = report?.comparisons.find((c) => c.unit === 'requests' && c.candidateId === runId);
  if (comparison?.unit !== 'requests') return undefined;
  const ttft = comparison.latencies.find((latency) => latency.metric === 'ttft');
  const throughput = comparison.rates.find((rate) => rate.metric === 'throughput');
  return { ttft: ttft?.verdict, throughputChange: throughput?.change ?? null };
}

/** Where a written report is. */
export interface WrittenCampaignReport {
  readonly path: string;
  readonly comparePath?: string | undefined;
  readonly model: CampaignReportModel;
}

/**
 * Writes campaign.html (and compare.html, every succeeded cell against the first) in the
 * campaign's folder, from the store: the cells' states and runs, their metrics, goodput under each
 * SLO from their records.
 */
export async function writeCampaignReport(
  store: Store,
  campaign: StoredCampaign,
  folder: string,
): Promise<WrittenCampaignReport> {
  const dir = ensureWritableDir(folder);
  const slos = campaignSlos(campaign);
  const built = [];
  for (const cell of await store.listCampaignCells(campaign.id)) built.push(await reportCell(store, cell, slos, dir));
  const runs = built.flatMap((entry) => (entry.run ? [entry.run] : []));
  const comparison = await compareCells(store, runs).catch(() => undefined);
  const comparePath = comparison ? join(dir, CAMPAIGN_COMPARE_FILE) : undefined;
  if (comparePath) await writeFile(comparePath, renderComparisonHtml(comparison!));
  const model: CampaignReportModel = {
    id: campaign.id,
    name: campaign.name,
    slos,
    cells: built.map((entry) => ({ ...entry.cell, versusFirst: versusFirst(comparison, entry.cell.runId) })),
    ...(comparePath ? { compareHref: CAMPAIGN_COMPARE_FILE } : {}),
    generatedAt: new Date().toISOString(),
  };
  const path = join(dir, CAMPAIGN_REPORT_FILE);
  await writeFile(path, renderCampaignHtml(model));
  return { path, comparePath, model };
}

/** The campaign a name stands for, or a usage error naming the campaigns there are. */
export async function findCampaign(store: Store, idOrName: string): Promise<StoredCampaign> {
  const campaign = await store.getCampaign(idOrName);
  if (campaign) return campaign;
  const known = (await store.listCampaigns()).map((c) => c.name);
  throw new KittError('USAGE', `no campaign "${idOrName}" in the results store at ${store.location}`, {
    hint: known.length > 0 ? `campaigns there: ${[...new Set(known)].join(', ')}` : 'run kitt campaign run FILE first',
  });
}
