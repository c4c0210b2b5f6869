import type { KittConfig } from '../../config/config-schema.js';
import { isInterruption, KittError } from '../../core/errors.js';
import { newRunId } from '../../core/ids.js';
import type { Progress } from '../../core/progress.js';
import { type RunOutcome, runBenchmark } from '../run/run-benchmark.js';
import { planRun } from '../run/run-plan.js';
import { createRunPorts } from '../run/run-ports.js';
import { runFlagsOf } from './cell-flags.js';
import type { CellRunContext, CellRunner, CellRunRequest, CellRunResult } from './cell-runner.js';

export interface LocalCellRunnerOptions {
  readonly config: KittConfig;
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
  readonly pull: boolean;
  readonly progress: Progress;
  readonly kittVersion: string;
}

function resultOf(outcome: RunOutcome): CellRunResult {
  const base = { runId: outcome.runId, resultDir: outcome.resultDir };
  if (outcome.status === 'succeeded') return { ...base, status: 'succeeded' };
  if (outcome.status === 'interrupted') return { ...base, status: 'interrupted', error: outcome.interruption };
  return { ...base, status: 'failed', error: outcome.failure };
}

const asKittError = (error: unknown) =>
  error instanceof KittError ? error : new KittError('INTERNAL', (error as Error)?.message ?? String(error));

/**
 * Runs cells in this process, each exactly as `kitt run` with the cell's flags would: planned by
 * planRun over the config, run by runBenchmark with the real ports (createRunPorts), so its result
 * folder, report.html and store row are those of any run. The run's stored config names the cell.
 */
export function createLocalCellRunner(options: LocalCellRunnerOptions): CellRunner {
  const { config, home, env } = options;
  return {
    async runCell(request: CellRunRequest, hooks, context: CellRunContext): Promise<CellRunResult> {
      const runId = newRunId();
      await hooks.started(runId);
      try {
        const plan = await planRun(runFlagsOf(request.cell.content, request.slo), config, { runId, env });
        if (plan.target) {
          throw new KittError('USAGE', 'a campaign starts its engines: run.target in the config does not apply', {
            hint: 'remove run.target from the config for kitt campaign run',
          });
        }
        const ports = await createRunPorts({ ...options, prometheusPort: plan.prometheusPort });
        try {
          const outcome = await runBenchmark(
            {
              engine: plan.engine,
              load: plan.load,
              ...(plan.slo ? { slo: plan.slo } : {}),
              ...(plan.sloPercentiles ? { sloPercentiles: plan.sloPercentiles } : {}),
              home,
              config: { ...config, campaign: { id: request.campaignId, cell: request.cell.id } },
              kittVersion: options.kittVersion,
            },
            ports,
            context,
          );
          for (const warning of outcome.warnings) context.progress.warn(warning);
          return resultOf(outcome);
        } finally {
          await ports.close();
        }
      } catch (error) {
        const interrupted = isInterruption(error) || context.signal.aborted;
        return {
          runId,
          status: interrupted ? 'interrupted' : 'failed',
          error: interrupted && !isInterruption(error) ? (context.signal.reason as KittError) : asKittError(error),
        };
      }
    },
  };
}
