import type { MetricPoint, RunLabels } from './metric-point.js';
import type { RequestObservation } from './prometheus-exporter.js';

/** The few figures of a finished run that history dashboards chart. */
export interface RunHeadline {
  readonly requestsPerS: number | null;
  readonly outputTokensPerS: number | null;
  readonly ttftP50Ms: number | null;
  readonly ttftP99Ms: number | null;
  readonly tpotP50Ms: number | null;
  readonly tpotP99Ms: number | null;
  readonly e2eP99Ms: number | null;
  readonly succeeded: number;
  readonly failed: number;
  readonly goodputPerS?: number | null;
  readonly cpuPercentOfLimitMean?: number | null;
}

const tagsOf = (labels: RunLabels) => ({
  engine: labels.engine,
  model: labels.model,
  run_id: labels.runId,
  mode: labels.mode,
});

function numericFields(values: Record<string, number | null | undefined>): Record<string, number> {
  const fields: Record<string, number> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value !== null && value !== undefined && Number.isFinite(value)) fields[key] = value;
  }
  return fields;
}

export function requestPoint(labels: RunLabels, observation: RequestObservation, endEpochMs: number): MetricPoint {
  return {
    measurement: 'kitt_request',
    tags: {
      ...tagsOf(labels),
      outcome: observation.outcome,
      ...(observation.errorKind ? { error: observation.errorKind } : {}),
    },
    fields: {
      ...numericFields({
        ttft_ms: observation.ttftMs,
        tpot_ms: observation.tpotMs,
        e2e_ms: observation.e2eMs,
        queue_ms: observation.queueMs,
      }),
      output_tokens: observation.outputTokens,
      prompt_tokens: observation.promptTokens,
    },
    timestampMs: endEpochMs,
  };
}

export function runPoint(labels: RunLabels, headline: RunHeadline, finishedEpochMs: number): MetricPoint {
  return {
    measurement: 'kitt_run',
    tags: tagsOf(labels),
    fields: {
      ...numericFields({
        requests_per_s: headline.requestsPerS,
        output_tokens_per_s: headline.outputTokensPerS,
        ttft_p50_ms: headline.ttftP50Ms,
        ttft_p99_ms: headline.ttftP99Ms,
        tpot_p50_ms: headline.tpotP50Ms,
        tpot_p99_ms: headline.tpotP99Ms,
        e2e_p99_ms: headline.e2eP99Ms,
        goodput_per_s: headline.goodputPerS,
        cpu_percent_of_limit_mean: headline.cpuPercentOfLimitMean,
      }),
      succeeded: headline.succeeded,
      failed: headline.failed,
    },
    timestampMs: finishedEpochMs,
  };
}

export function calibrationPoint(
  labels: RunLabels,
  result: { rate: number; unit: string; limitsKey: string; held: boolean },
  atEpochMs: number,
): MetricPoint {
  return {
    measurement: 'kitt_calibration',
    tags: { ...tagsOf(labels), unit: result.unit, limits: result.limitsKey },
    fields: { rate: result.rate, held: result.held },
    timestampMs: atEpochMs,
  };
}
