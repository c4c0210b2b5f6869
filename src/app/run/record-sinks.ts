import type { WallAnchor } from '../../core/clock.js';
import { openRequestLog, type RequestLog } from '../../export/result-dir.js';
import { planLoad } from '../../load/load-plan.js';
import type { LoadSpec } from '../../load/load-spec.js';
import { CrossCheckAccumulator } from '../../metrics/engine-cross-check.js';
import type { RequestRecord } from '../../metrics/request-record.js';
import { RunAccumulator } from '../../metrics/run-accumulator.js';
import type { SloBounds, SloTerm } from '../../metrics/slo.js';
import { StagesAccumulator } from '../../metrics/stage-accumulator.js';

/**
 * Where a run's records go as they complete, so nothing on the run path holds them all: the
 * summary's accumulator, one accumulator per stage (the stages table), the engine cross-check's
 * sums, and requests.jsonl (requests.csv and the Influx points are read back from it at the end).
 */
export interface RecordSinks {
  readonly accumulator: RunAccumulator;
  readonly stages: StagesAccumulator;
  readonly crossCheck: CrossCheckAccumulator;
  readonly log: RequestLog;
  /** requests.jsonl times count from here (run.json says when that was). */
  readonly origin: WallAnchor;
}

export async function openRecordSinks(
  resultDir: string,
  spec: LoadSpec,
  slo: { readonly slo?: SloBounds; readonly sloPercentiles?: readonly SloTerm[] },
  origin: WallAnchor,
): Promise<RecordSinks> {
  const options = {
    ...(slo.slo ? { slo: slo.slo } : {}),
    ...(slo.sloPercentiles ? { sloPercentiles: slo.sloPercentiles } : {}),
  };
  return {
    accumulator: new RunAccumulator(options),
    stages: new StagesAccumulator({ ...options, ramps: rampsOf(spec) }),
    crossCheck: new CrossCheckAccumulator(),
    log: await openRequestLog(resultDir, origin.monotonicMs),
    origin,
  };
}

/** One completed record into every sink (the load runner's onRecord). */
export function sinkRecord(sinks: RecordSinks, record: RequestRecord): void {
  sinks.accumulator.add(record);
  sinks.stages.add(record);
  sinks.crossCheck.add(record);
  sinks.log.append(record);
}

/** The plan's ramp stages and their measured durations: where the stages table cuts slices. */
function rampsOf(spec: LoadSpec): Map<number, number> {
  const ramps = new Map<number, number>();
  for (const { stage, spec: stageSpec } of planLoad(spec).stages) {
    if (stageSpec.kind === 'ramp-rate' || stageSpec.kind === 'ramp-concurrency') ramps.set(stage, stageSpec.durationS);
  }
  return ramps;
}
