import type { WallAnchor } from '../../core/clock.js';
import { openRequestLog, type RequestLog } from '../../export/result-dir.js';
import { type LoadPlan, planLoad } from '../../load/load-plan.js';
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
  /** false when `accumulator` is a stage's own in `stages` (a run of one stage), which stages.add feeds. */
  readonly ownsAccumulator: boolean;
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
  const plan = planLoad(spec);
  const ramps = rampsOf(plan);
  const stages = new StagesAccumulator({ ...options, ramps });
  // one stage that is not a ramp: the run's summary and the stage's are over the same records and
  // window, so one accumulator serves both (it costs ~50 bytes a request)
  const only = plan.stages.length === 1 && ramps.size === 0 ? plan.stages[0]!.stage : undefined;
  return {
    accumulator: only === undefined ? new RunAccumulator(options) : stages.wholeSummary(only),
    ownsAccumulator: only === undefined,
    stages,
    crossCheck: new CrossCheckAccumulator(),
    log: await openRequestLog(resultDir, origin.monotonicMs),
    origin,
  };
}

/** One completed record into every sink (the load runner's onRecord). */
export function sinkRecord(sinks: RecordSinks, record: RequestRecord): void {
  if (sinks.ownsAccumulator) sinks.accumulator.add(record);
  sinks.stages.add(record);
  sinks.crossCheck.add(record);
  sinks.log.append(record);
}

/** The plan's ramp stages and their measured durations: where the stages table cuts slices. */
function rampsOf(plan: LoadPlan): Map<number, number> {
  const ramps = new Map<number, number>();
  for (const { stage, spec: stageSpec } of plan.stages) {
    if (stageSpec.kind === 'ramp-rate' || stageSpec.kind === 'ramp-concurrency') ramps.set(stage, stageSpec.durationS);
  }
  return ramps;
}
