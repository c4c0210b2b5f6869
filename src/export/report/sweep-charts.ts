import type { RequestRecord } from '../../metrics/request-record.js';
import { RunAccumulator } from '../../metrics/run-accumulator.js';
import type { SloResult } from '../../metrics/summarize-run.js';
import type { ChartSpec, ThresholdSpec } from './chart-spec.js';

/** One stage of a sweep (or ramp), summarised on its own measure-phase requests. */
export interface StagePoint {
  readonly stage: number;
  readonly requests: number;
  readonly requestsPerS: number | null;
  readonly outputTokensPerS: number | null;
  readonly ttftP50Ms: number | null;
  readonly ttftP99Ms: number | null;
  readonly e2eP50Ms: number | null;
}

/**
 * The stages of a run fed one record at a time: one RunAccumulator per stage over its own
 * measure-phase records, so a sweep's points need no array of them.
 */
export class StagePointCollector {
  private readonly stages = new Map<number, RunAccumulator>();

  add(record: RequestRecord): void {
    if (record.phase !== 'measure') return;
    let stage = this.stages.get(record.stage);
    if (!stage) {
      stage = new RunAccumulator();
      this.stages.set(record.stage, stage);
    }
    stage.add(record);
  }

  /** Each stage summarised over its own window (first send → last end); [] for a single stage. */
  points(): StagePoint[] {
    if (this.stages.size < 2) return [];
    return [...this.stages.entries()]
      .sort(([a], [b]) => a - b)
      .map(([stage, accumulator]) => {
        const m = accumulator.summarize();
        return {
          stage,
          requests: accumulator.requests,
          requestsPerS: m.throughput.requestsPerS,
          outputTokensPerS: m.throughput.outputTokensPerS,
          ttftP50Ms: m.ttftMs.p50,
          ttftP99Ms: m.ttftMs.p99,
          e2eP50Ms: m.e2eMs.p50,
        };
      });
  }
}

/** uPlot draws x ascending: the points sorted by x, with the points that have no x left out. */
function byX(points: readonly StagePoint[], x: (p: StagePoint) => number | null): StagePoint[] {
  return points.filter((p) => x(p) !== null).sort((a, b) => x(a)! - x(b)!);
}

/** Latency against achieved rate, and throughput against latency, one point per level. */
export function sweepCharts(points: readonly StagePoint[], slo: SloResult | null | undefined): ChartSpec[] {
  if (points.length === 0) return [];
  const thresholds: ThresholdSpec[] =
    slo?.bounds.ttftMs !== undefined
      ? [{ label: `SLO ttft ${slo.bounds.ttftMs} ms`, value: slo.bounds.ttftMs, axis: 'y' }]
      : [];
  const byRate = byX(points, (p) => p.requestsPerS);
  const byTokens = byX(points, (p) => p.outputTokensPerS);
  return [
    {
      id: 'sweep-latency-vs-rate',
      title: 'Per level: latency vs achieved rate',
      note: 'One point per level of the sweep: TTFT p50 and p99 and E2E p50 against the requests per second it achieved.',
      x: { label: 'achieved req/s' },
      y: { label: 'ms' },
      series: [
        { label: 'TTFT p50', style: 'line' },
        { label: 'TTFT p99', style: 'line' },
        { label: 'E2E p50', style: 'line' },
      ],
      data: [
        byRate.map((p) => p.requestsPerS),
        byRate.map((p) => p.ttftP50Ms),
        byRate.map((p) => p.ttftP99Ms),
        byRate.map((p) => p.e2eP50Ms),
      ],
      thresholds,
    },
    {
      id: 'sweep-throughput-vs-latency',
      title: 'Per level: throughput vs latency',
      note: 'One point per level: the E2E p50 paid for each output-token throughput. Where it bends upward, more load buys latency, not tokens.',
      x: { label: 'output tok/s' },
      y: { label: 'E2E p50 (ms)' },
      series: [{ label: 'E2E p50', style: 'line' }],
      data: [byTokens.map((p) => p.outputTokensPerS), byTokens.map((p) => p.e2eP50Ms)],
      thresholds:
        slo?.bounds.e2eMs !== undefined
          ? [{ label: `SLO e2e ${slo.bounds.e2eMs} ms`, value: slo.bounds.e2eMs, axis: 'y' }]
          : [],
    },
  ];
}
